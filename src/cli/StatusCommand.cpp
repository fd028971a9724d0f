// `ramp status [SERVICE] [--env ENV] [--json] [--watch]`
//
// The controller and its dashboard first, then per service/env: the
// deployment in progress (or the newest) with its release digest, its step
// (never past the last) and what happens now with the time left
// (server/DeploymentProgress.h), created/updated times and ages, the
// judge's running counts and evidence (its latest look), the reason only
// when the deployment waits or ended (never a stale one while it runs),
// its approval (who may approve, who did), the queue behind it, hotfix debt,
// and every fleet with its desired weight and the weight the router
// carries (ROUTER, read back; * while they differ).
//
// --watch follows the controller's event stream (/api/v1/events/stream,
// server-sent events) and redraws when an event of the watched service/env
// arrives and at least every second (ages and time left move); each draw
// is headed by its time (UTC and local). On a terminal it redraws in place;
// otherwise it appends every draw that changed. It reconnects (bounded)
// when the controller restarts or a new leader takes over. --json --watch
// prints one JSON document per changed draw.
//
// A SERVICE or --env that neither ./ramp.yaml nor the controller knows is
// refused with the names there are (cli/ReadScope.h).
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "cli/ApiClient.h"
#include "cli/CommandRegistry.h"
#include "cli/ControllerInfo.h"
#include "cli/Options.h"
#include "cli/ProgressText.h"
#include "cli/ReadScope.h"
#include "cli/Terminal.h"
#include "cli/WaveLine.h"
#include "core/Clock.h"

namespace ramp::cli {

namespace {

using nlohmann::json;

struct StatusArgs {
  std::string service;
  std::string env;
  bool json = false;
  bool watch = false;
};

// "controller URL · dashboard URL/ (pid N, leader)", or how to start one.
std::string controllerLine(ApiClient& api) {
  auto info = controllerInfo(api.home());
  if (info && info->url == api.baseUrl()) {
    return fmt::format("controller {} · dashboard {} (pid {}, {})\n", info->url, info->dashboardUrl(), info->pid,
                       info->role.empty() ? "leader" : info->role);
  }
  return fmt::format("controller {} · dashboard {}/\n", api.baseUrl(), api.baseUrl());
}

std::string render(const json& all, WallTime now) {
  std::string out;
  if (all.empty()) return "no deployments yet\n";
  for (const auto& s : all) {
    const auto& d = s["deployment"];
    out += fmt::format("\n{} in {} ({})  {}\n", s.value("service", ""), s.value("env", ""),
                       s.value("region", ""),
                       s["entrypoint"].is_string() ? s["entrypoint"].get<std::string>() : "-");
    std::string label = labelOf(d);
    std::string step = stepText(d);
    std::string digest = d.value("digest", "");
    out += fmt::format("  deployment {}  {} ({})  {}  {}{}{}\n", d.value("id", ""), d.value("version", ""),
                       digest.size() > 19 ? digest.substr(0, 19) : digest, d.value("strategy", ""),
                       Terminal::paintState(1, label), step.empty() ? "" : "  ", step);
    std::string created = ageOf(d.value("created_at", json()), now);
    std::string updated = ageOf(d.value("updated_at", json()), now);
    out += fmt::format("  created {}{} by {}{}\n", d.value("created_at", json("")).is_string() ? d["created_at"].get<std::string>() : "-",
                       created.empty() ? "" : " (" + created + " ago)", d.value("created_by", ""),
                       updated.empty() ? "" : ", updated " + updated + " ago");
    std::string state = d.value("state", "");
    bool terminal = state == "succeeded" || state == "failed" || state == "rolled_back" || state == "aborted";
    std::string activity = activityText(d);
    if (!activity.empty() && !(terminal && d.value("phase", "") == "done")) out += "  now: " + activity + "\n";
    // The reason of a state that waits or ended; a running deployment's
    // reason would be stale (e.g. the approval that let it start).
    if (!d.value("reason", "").empty() && (state != "running" || label == "rolling_back")) {
      out += "  reason: " + d.value("reason", "") + "\n";
    }
    if (d.contains("verdict") && d["verdict"].is_object()) {
      auto lines = judgeLines(d["verdict"]);
      if (!lines.empty()) {
        out += fmt::format("  judge ({}{}):\n", d["verdict"].value("verdict", ""),
                           d["verdict"].contains("step") ? fmt::format(" at step {}", d["verdict"].value("step", 0)) : "");
        for (const auto& l : lines) out += "    " + l + "\n";
      }
    }
    if (d.contains("waves") && d["waves"].is_array() && !d["waves"].empty()) {
      // Regions in waves: one line per region, the current one marked.
      out += "  waves:";
      int n = 0;
      for (const auto& w : d["waves"]) {
        ++n;
        std::string st = w.value("state", "");
        std::string version = st == "not_started" || st == "pending" ? "" : " " + w.value("version", "");
        if (st == "rolled_back" || st == "failed" || st == "aborted") {
          version = waveOutcome(d, w);  // "back on X": what the region runs again
          if (!version.empty()) version = " " + version;
        }
        bool current = d.value("wave", 0) == n && st == "running";
        out += fmt::format("  {}{} {}{}", current ? "*" : "", w.value("region", ""), Terminal::paintState(1, st), version);
      }
      out += "\n";
    }
    if (d.value("hotfix", false)) out += "  HOTFIX: " + d.value("hotfix_reason", "") + "\n";
    if (d.contains("promoted_from") && d["promoted_from"].is_string()) {
      out += "  promoted from " + d["promoted_from"].get<std::string>() + "\n";
    }
    if (d.contains("approval") && d["approval"].is_object() && d.value("state", "") == "awaiting_approval") {
      const auto& a = d["approval"];
      std::string roles, by;
      for (const auto& r : a.value("roles", json::array())) roles += (roles.empty() ? "" : ", ") + r.get<std::string>();
      for (const auto& x : a.value("approvals", json::array())) by += (by.empty() ? "" : ", ") + x.value("by", "");
      out += fmt::format("  awaiting approval: {}/{} (may approve: {}; not {}){}\n", a.value("approvals_count", 0),
                         a.value("required", 0), roles, a.value("requester", ""),
                         by.empty() ? "" : "; approved by " + by);
    }
    for (const auto& q : s.value("queue", json::array())) {
      out += fmt::format("  queued: {} {} ({}) {}\n", q.value("id", ""), q.value("version", ""),
                         q.value("phase", ""), q.value("reason", ""));
    }
    for (const auto& h : s.value("hotfix_debt", json::array())) {
      std::string missing;
      for (const auto& m : h.value("missing", json::array())) missing += (missing.empty() ? "" : ", ") + m.get<std::string>();
      out += fmt::format("  hotfix debt: {} ({}) not yet through {} — promote it back\n", h.value("version", ""),
                         h.value("digest", "").substr(0, 19), missing);
    }
    if (!s["fleets"].empty()) {
      bool regions = d.contains("waves") && d["waves"].is_array() && !d["waves"].empty();
      // WEIGHT is what the engine wants, ROUTER what the data plane carries
      // (read back): they differ while a change is being applied.
      auto weightCell = [](const json& f) {
        int w = f.value("weight", 0);
        if (!f.contains("applied_weight") || !f["applied_weight"].is_number()) return fmt::format("{:>4}%  {:>6}", w, "?");
        int a = f["applied_weight"].get<int>();
        return fmt::format("{:>4}%  {:>5}%{}", w, a, a == w ? " " : "*");
      };
      if (regions) {
        out += fmt::format("  {:<48} {:<16} {:<10} {:<9} {:>5}  {:>6}  {:>8}\n", "FLEET", "REGION", "VERSION", "ROLE",
                           "WEIGHT", "ROUTER", "HEALTHY");
      } else {
        out += fmt::format("  {:<36} {:<10} {:<9} {:>5}  {:>6}  {:>8}\n", "FLEET", "VERSION", "ROLE", "WEIGHT", "ROUTER",
                           "HEALTHY");
      }
      for (const auto& f : s["fleets"]) {
        if (regions) {
          out += fmt::format("  {:<48} {:<16} {:<10} {:<9} {} {:>5}/{:<2}\n", f.value("id", ""),
                             f.value("region", ""), f.value("version", ""), f.value("role", ""), weightCell(f),
                             f.value("healthy", 0), f.value("instances", 0));
          continue;
        }
        out += fmt::format("  {:<36} {:<10} {:<9} {} {:>5}/{:<2}\n", f.value("id", ""),
                           f.value("version", ""), f.value("role", ""), weightCell(f),
                           f.value("healthy", 0), f.value("instances", 0));
      }
    }
  }
  return out;
}

// The newest audit sequence number: the watch stream starts after it.
int64_t newestEventSeq(ApiClient& api, const std::string& scope) {
  int64_t after = 0;
  for (int page = 0; page < 10000; ++page) {  // 1,000 events a page
    auto evs = api.get("/api/v1/events?after=" + std::to_string(after) + scope);
    if (!evs || !evs->is_array() || evs->empty()) break;
    after = evs->back().value("seq", after);
    if (evs->size() < 1000) break;
  }
  return after;
}

int watchStatus(Cli& cli, const StatusArgs& a, const std::string& path) {
  std::string previous;
  bool tty = Terminal::redrawOn(1) && !a.json;
  int64_t after = -1;
  for (int attempt = 0; attempt < 600; ++attempt) {  // reconnects: ~10 minutes of controller absence
    auto api = ApiClient::connect(cli.global);
    if (!api) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    // A terminal is redrawn in place, headed by the time of the draw; a pipe
    // or file gets every draw whose content changed, each under a time line.
    auto draw = [&]() -> bool {
      auto st = api->get(path);
      if (!st) return false;
      auto now = SystemClock::instance().now();
      std::string text = a.json ? ((!a.service.empty() && !a.env.empty() && st->size() == 1 ? (*st)[0] : *st).dump() + "\n")
                                : render(*st, now);
      if (text != previous) {
        if (a.json) {
          std::cout << text;
        } else {
          if (tty) std::cout << "\033[H\033[2J";
          std::cout << "── " << formatTime(now) << " (" << clockTime(now) << " local) · " << controllerLine(*api)
                    << text << std::flush;
        }
        std::cout << std::flush;
        previous = text;
      }
      return true;
    };
    if (!draw()) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      continue;
    }
    std::string scope;
    if (!a.service.empty()) scope += "&service=" + a.service;
    if (!a.env.empty()) scope += "&env=" + a.env;
    if (after < 0) after = newestEventSeq(*api, scope);
    auto lastDraw = std::chrono::steady_clock::now();
    auto s = api->stream("/api/v1/events/stream?after=" + std::to_string(after) + scope, [&](const std::string& data) {
      bool relevant = false;
      if (!data.empty()) {
        auto e = json::parse(data, nullptr, false);
        if (e.is_object()) {
          after = std::max(after, e.value("seq", after));
          relevant = (a.service.empty() || e.value("service", "") == a.service) &&
                     (a.env.empty() || e.value("env", "") == a.env);
        }
      }
      // Ages, time left and the judge's counts move without events: redraw
      // at least every second (keep-alives arrive every 100 ms).
      auto now = std::chrono::steady_clock::now();
      if (relevant || now - lastDraw >= std::chrono::seconds(1)) {
        if (!draw()) return false;
        lastDraw = now;
      }
      return true;
    });
    if (!tty && !s) std::cerr << "ramp: " << s.error().describe() << "; reconnecting" << std::endl;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return reportError("the controller stayed unreachable; stopped watching");
}

int runStatus(Cli& cli, const StatusArgs& a) {
  auto api = ApiClient::connect(cli.global);
  if (!api) return reportError(api.error().describe());
  // `ramp status crawlr` / `--env staging`: refused, not "no deployments".
  if (auto s = checkReadScope(knownNames(&*api), a.service, "SERVICE", a.env, "--env"); !s) {
    return reportError(s.error().describe());
  }
  std::string path = "/api/v1/status?" + scopeQuery(a.service, a.env);
  if (a.watch) return watchStatus(cli, a, path);
  auto st = api->get(path);
  if (!st) return reportError(st.error().describe());
  if (!a.service.empty() && !a.env.empty() && st->empty()) {
    return reportError(fmt::format("{} has no deployment in {} yet (ramp deploy {} --env {} --version V)", a.service,
                                   a.env, a.service, a.env));
  }
  if (a.json) {
    // One service + env asked for: the object itself, as design.md describes.
    std::cout << (!a.service.empty() && !a.env.empty() && st->size() == 1 ? (*st)[0] : *st).dump(2) << "\n";
    return kExitOk;
  }
  std::cout << controllerLine(*api) << render(*st, SystemClock::instance().now());
  return kExitOk;
}

void addStatus(Cli& cli) {
  auto [cmd, args] = addCommand<StatusArgs>(
      cli, cli.app, "status", "Show deployments, fleets and traffic of services",
      "Examples:\n  ramp status\n  ramp status crawler --env prod --watch\n  ramp status crawler --env prod --json",
      runStatus);
  addOption(cmd, kServiceArgument, args->service, "Service name (default: all)");
  addOption(cmd, kEnvOption, args->env, "Environment (default: all)");
  jsonFlag(cmd, args->json);
  cmd->add_flag("--watch,-w", args->watch, "Keep redrawing as things change (Ctrl-C to stop)");
}

}  // namespace

RAMP_COMMAND(40, addStatus)

}  // namespace ramp::cli
