// `ramp load SERVICE --env ENV [--region R] [--duration D] [--clients N] [--path P] [--json]`
//
// Synthetic users for a service's entry point (cli/SyntheticLoad.h): the
// example service has none, and a canary's judge needs requests to compare.
// Sends closed-loop keep-alive GETs of --path (default /) from --clients
// threads until --duration has passed (default 60s, at most 1h) or it is
// stopped (SIGINT / SIGTERM), then prints what was sent, what failed and
// which releases answered. Exit 0 when it ran (failed requests are what it
// measures, not an error of its own); 1 when the entry point is unknown.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "cli/ApiClient.h"
#include "cli/CommandRegistry.h"
#include "cli/Options.h"
#include "cli/ReadScope.h"
#include "cli/SyntheticLoad.h"
#include "core/Duration.h"

namespace ramp::cli {

namespace {

std::atomic<bool> gStopLoad{false};

struct LoadArgs {
  std::string service;
  std::string env;
  std::string region;
  std::string duration = "60s";
  int clients = 4;
  std::string path = "/";
  bool json = false;
};

int runLoad(Cli& cli, const LoadArgs& a) {
  auto d = parseDuration(a.duration);
  if (!d || *d <= std::chrono::milliseconds(0) || *d > std::chrono::hours(1)) {
    return reportError("--duration: expected a duration between 1ms and 1h (e.g. 90s), got '" + a.duration + "'");
  }
  if (a.clients < 1 || a.clients > 64) return reportError("--clients: expected 1 to 64");
  if (a.path.empty() || a.path.front() != '/') return reportError("--path: must start with / (got '" + a.path + "')");
  auto api = ApiClient::connect(cli.global);
  if (!api) return reportError(api.error().describe());
  if (auto s = checkReadScope(knownNames(&*api), a.service, "SERVICE", a.env, "--env"); !s) {
    return reportError(s.error().describe());
  }
  auto st = api->get("/api/v1/status?service=" + a.service + "&env=" + a.env);
  if (!st) return reportError(st.error().describe());
  std::string url;
  if (st->is_array() && !st->empty()) {
    const auto& s = (*st)[0];
    if (!a.region.empty()) {
      if (s.contains("entrypoints") && s["entrypoints"].contains(a.region) && s["entrypoints"][a.region].is_string()) {
        url = s["entrypoints"][a.region].get<std::string>();
      }
    } else if (s.contains("entrypoint") && s["entrypoint"].is_string()) {
      url = s["entrypoint"].get<std::string>();
    }
  }
  if (url.empty()) {
    return reportError(fmt::format("{} has no entry point in {}{} yet: deploy it first (ramp deploy {} --env {} --version V)",
                                   a.service, a.env, a.region.empty() ? "" : " region " + a.region, a.service, a.env));
  }
  struct sigaction sa {};
  sa.sa_handler = [](int) { gStopLoad = true; };
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  SyntheticLoad::Options o;
  o.clients = a.clients;
  o.pauseMs = 2;
  o.path = a.path;
  SyntheticLoad load(url, o);
  if (!a.json) {
    std::cout << fmt::format("sending {} client(s) of GET {} to {} for {} (Ctrl-C stops)", a.clients, a.path, url,
                             a.duration)
              << std::endl;
  }
  auto t0 = std::chrono::steady_clock::now();
  load.start();
  while (!gStopLoad && std::chrono::steady_clock::now() - t0 < *d) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  load.stop();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto versions = load.versions();
  if (a.json) {
    nlohmann::json v = nlohmann::json::object();
    for (const auto& [k, n] : versions) v[k.empty() ? "unknown" : k] = n;
    std::cout << nlohmann::json{{"url", url}, {"seconds", secs}, {"sent", load.sent()}, {"failed", load.failed()},
                                {"answered_by", v}}
                     .dump(2)
              << std::endl;
    return kExitOk;
  }
  std::string by;
  for (const auto& [k, n] : versions) by += fmt::format("{}{} {}", by.empty() ? "" : ", ", k.empty() ? "?" : k, n);
  std::cout << fmt::format("load on {} {}: {} requests in {:.1f}s ({:.0f}/s), {} failed; answered by {}", a.service,
                           a.env, load.sent(), secs, load.sent() / std::max(secs, 0.001), load.failed(),
                           by.empty() ? "nobody" : by)
            << std::endl;
  return kExitOk;
}

void addLoad(Cli& cli) {
  auto [cmd, args] = addCommand<LoadArgs>(
      cli, cli.app, "load", "Send synthetic traffic to a service's entry point (for demos and canaries)",
      "Examples:\n  ramp load crawler --env uat --duration 90s &\n  ramp load crawler --env prod --clients 8 --json",
      runLoad);
  addOption(cmd, kServiceArgument, args->service)->required();
  addOption(cmd, kEnvOption, args->env)->required();
  addOption(cmd, kRegionOption, args->region, "Region (default: the environment's first)");
  cmd->add_option("--duration,-d", args->duration, "How long (default 60s, at most 1h)");
  cmd->add_option("--clients,-c", args->clients, "Concurrent clients, each one request at a time (default 4)");
  cmd->add_option("--path", args->path, "Path to GET (default /)");
  jsonFlag(cmd, args->json, "Print the summary as JSON");
}

}  // namespace

RAMP_COMMAND(34, addLoad)

}  // namespace ramp::cli
