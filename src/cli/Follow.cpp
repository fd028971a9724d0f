#include "cli/Follow.h"

#include <chrono>
#include <iostream>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "cli/ProgressText.h"
#include "cli/Terminal.h"
#include "cli/WaveLine.h"
#include "core/Clock.h"

namespace ramp::cli {

using nlohmann::json;

int exitCodeForState(const std::string& state) {
  if (state == "succeeded") return kExitOk;
  if (state == "rolled_back") return kExitRolledBack;
  if (state == "paused" || state == "awaiting_approval") return kExitWaiting;
  return kExitFailure;
}

namespace {

// "[14:03:07 +12.3s]": wall time of day and time since following began.
std::string stamp(std::chrono::steady_clock::time_point start) {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return fmt::format("[{} {:+6.1f}s]", clockTime(SystemClock::instance().now()), secs);
}

// The traffic of the deployment's entry point: "1.0.0 90% · 2.0.0 10%",
// each weight the desired one, marked when the data plane does not carry it
// yet ("(router 0%)"). Empty when unknown.
std::string trafficText(ApiClient& api, const json& d) {
  auto st = api.get("/api/v1/status?service=" + d.value("service", "") + "&env=" + d.value("env", ""));
  if (!st || !st->is_array() || st->empty()) return "";
  std::string out;
  for (const auto& f : (*st)[0].value("fleets", json::array())) {
    int w = f.value("weight", 0);
    bool appliedKnown = f.contains("applied_weight") && f["applied_weight"].is_number();
    int applied = appliedKnown ? f["applied_weight"].get<int>() : w;
    if (w == 0 && applied == 0) continue;
    out += fmt::format("{}{} {} {}%{}", out.empty() ? "" : " · ", f.value("role", ""), f.value("version", ""), w,
                       applied == w ? "" : fmt::format(" (router {}%)", applied));
  }
  return out;
}

}  // namespace

int followDeployment(ApiClient& api, const std::string& id, const FollowOptions& opts) {
  auto start = std::chrono::steady_clock::now();
  auto lastPrint = start;
  std::string lastPhase, lastState, lastTraffic, lastJudge;
  int64_t lastLooks = -1;
  std::vector<std::string> lastWaves;  // state of each region in waves, as last printed
  int regionPolls = 0;                 // polls spent waiting for a rollback_all_regions end (bounded)
  json last;
  int transientErrors = 0;
  const bool talk = !opts.json && !opts.quiet;
  const std::string indent(20, ' ');
  while (true) {
    auto d = api.get("/api/v1/deployments/" + id);
    if (!d) {
      if (d.error().code == ErrorCode::kUnavailable && ++transientErrors < 50) {
        // The controller may be restarting: it resumes the deployment.
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        continue;
      }
      return reportError(d.error().describe());
    }
    transientErrors = 0;
    last = *d;
    std::string state = d->value("state", "");
    std::string phase = d->value("phase", "");
    if (talk && d->contains("waves") && (*d)["waves"].is_array()) {
      // Regions in waves: a line whenever a region's state changes.
      const auto& waves = (*d)["waves"];
      lastWaves.resize(waves.size());
      for (size_t i = 0; i < waves.size(); ++i) {
        std::string ws = waves[i].value("state", "");
        if (ws == lastWaves[i] || ws == "pending") continue;
        lastWaves[i] = ws;
        std::string detail = waveOutcome(*d, waves[i]);
        if (!detail.empty()) detail = "  " + detail;
        std::cout << fmt::format("{} == wave {}/{} {} {}{}", stamp(start), i + 1, waves.size(),
                                 waves[i].value("region", ""), Terminal::paintState(1, ws), detail)
                  << std::endl;
        lastPrint = std::chrono::steady_clock::now();
      }
    }
    if (talk) {
      auto now = std::chrono::steady_clock::now();
      if (phase != lastPhase || state != lastState) {
        std::string label = labelOf(*d);
        // Padded before it is painted: escapes would count towards the width.
        std::string pad(label.size() < 12 ? 12 - label.size() : 0, ' ');
        std::string step = stepText(*d);
        std::cout << fmt::format("{} {:<16} {}{} {}{}{}", stamp(start), phase, Terminal::paintState(1, label), pad,
                                 step, step.empty() ? "" : " · ", activityText(*d));
        // The reason is news when the state changes (a pause, the end, a
        // rollback's verdict), never a stale one repeated while running.
        std::string reason = d->value("reason", "");
        bool rollingBack = label == "rolling_back";
        if (!reason.empty() && (state != lastState || rollingBack) && (state != "running" || rollingBack)) {
          std::cout << "\n" << indent << reason;
        }
        std::cout << std::endl;
        lastPhase = phase;
        lastState = state;
        lastPrint = now;
        if (phase.rfind("canary_", 0) == 0 || phase == "verify_switch" || phase == "rb_verify" || phase == "bake") {
          std::string traffic = trafficText(api, *d);
          if (!traffic.empty() && traffic != lastTraffic) {
            std::cout << indent << "traffic " << traffic << std::endl;
            lastTraffic = traffic;
          }
        }
      }
      // The judge's running numbers, at each look (at most every 3 s unless
      // a metric's classification changes), so nothing is silent for 30 s.
      const json& progress = d->contains("progress") ? (*d)["progress"] : json::object();
      int64_t looks = progress.contains("judge_looks") && progress["judge_looks"].is_number()
                          ? progress["judge_looks"].get<int64_t>() : -1;
      if (looks >= 0 && looks != lastLooks && d->contains("verdict") && (*d)["verdict"].is_object()) {
        auto lines = judgeLines((*d)["verdict"]);
        std::string joined;
        for (const auto& l : lines) joined += l + "\n";
        std::string classes;
        for (const auto& m : (*d)["verdict"].value("metrics", json::array())) classes += m.value("classification", "") + ",";
        if (!lines.empty() && (now - lastPrint >= std::chrono::seconds(3) || classes != lastJudge)) {
          std::cout << fmt::format("{} judge, look {}: {}", stamp(start), looks, activityText(*d)) << std::endl;
          for (const auto& l : lines) std::cout << indent << l << std::endl;
          lastLooks = looks;
          lastJudge = classes;
          lastPrint = now;
        }
      }
      // A wait that says nothing for long says at least how long is left.
      bool waiting = state == "paused" || state == "awaiting_approval";
      if (!waiting && now - lastPrint >= std::chrono::seconds(5)) {
        std::cout << fmt::format("{} {:<16} {}", stamp(start), phase, activityText(*d)) << std::endl;
        lastPrint = now;
      }
    }
    bool terminal = state == "succeeded" || state == "failed" || state == "rolled_back" || state == "aborted";
    bool waiting = state == "paused" || state == "awaiting_approval";
    bool baking = opts.throughBake && state == "succeeded" && phase == "bake";
    // rollback_all_regions: the state turns terminal in rb_drain, before
    // rb_retire and rb_regions name the rollback of the earlier regions:
    // follow on until phase "done" (bounded).
    bool undoingRegions = terminal && phase != "done" && d->value("rollback_all_regions", false) &&
                          state != "succeeded" && ++regionPolls < 200;
    if ((terminal && !baking && !undoingRegions) || (waiting && !opts.waitOnPerson)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }
  std::string state = last.value("state", "");
  if (opts.json) {
    std::cout << last.dump(2) << std::endl;
  } else if (!opts.quiet) {
    std::string tail;
    if (state == "succeeded" && last.value("phase", "") == "bake") {
      const json& p = last.contains("progress") ? last["progress"] : json::object();
      tail = fmt::format("; baking{} (its judge and alarms may still roll it back: ramp status {} --env {} --watch)",
                         p.contains("ends_at") && p["ends_at"].is_string() ? " until " + p["ends_at"].get<std::string>() : "",
                         last.value("service", ""), last.value("env", ""));
    }
    std::cout << fmt::format("deployment {} {}: {}{}", id, Terminal::paintState(1, state), last.value("reason", ""), tail)
              << std::endl;
  }
  return exitCodeForState(state);
}

int followSubmitted(ApiClient& api, const json& submitted, const std::string& headline, const FollowOptions& opts,
                    bool detach) {
  std::string id = submitted.value("id", "");
  if (detach) {
    std::cout << (opts.json ? submitted.dump(2) : id) << std::endl;
    return kExitOk;
  }
  if (!opts.json) {
    std::cout << headline << std::endl;
    if (submitted.value("state", "") == "awaiting_approval") {
      // Four-eyes: not the requester; name the role and where.
      std::string roles;
      const json& a = submitted.contains("approval") && submitted["approval"].is_object() ? submitted["approval"]
                                                                                        : json::object();
      for (const auto& r : a.value("roles", json::array())) {
        if (r.is_string()) roles += (roles.empty() ? "" : " or ") + r.get<std::string>();
      }
      std::cout << fmt::format("{} awaits approval by another person with the role {} in {}: they run `ramp approve "
                               "{}` (`ramp approvals` lists what waits)",
                               id, roles.empty() ? "approver" : roles, submitted.value("env", ""), id)
                << std::endl;
    }
  }
  return followDeployment(api, id, opts);
}

}  // namespace ramp::cli
