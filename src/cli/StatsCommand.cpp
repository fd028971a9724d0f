// `ramp stats [--service S] [--env E] [--since 30d] [--json]` — the four
// DORA figures per service and environment (server/DeliveryStats.h has the
// definitions): deployment frequency, lead time for changes, change failure
// rate, time to restore.
//
// Read through the controller's API (GET /api/v1/stats) when one runs for
// the home (or --server / $RAMP_SERVER names one); otherwise computed from
// the home's store and release catalog directly. No controller is started.
// Exit 0 with the figures (an empty table when nothing finished), 1 on bad
// input (naming the flag) or when the log cannot be read.
#include <cmath>
#include <cstdlib>
#include <iostream>

#include <fmt/format.h>

#include "cli/ApiClient.h"
#include "cli/CommandRegistry.h"
#include "cli/HomeStore.h"
#include "cli/Options.h"
#include "cli/ReadScope.h"
#include "core/Clock.h"
#include "core/Home.h"
#include "release/ReleaseStore.h"
#include "server/DeliveryStatsReport.h"
#include "store/Store.h"

namespace ramp::cli {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

struct StatsArgs {
  std::string service, env, since = "30d";
  bool json = false;
};

std::string duration(const json& seconds) {
  if (!seconds.is_number()) return "-";
  double s = seconds.get<double>();
  if (s < 120) return fmt::format("{:.0f}s", s);
  if (s < 7200) return fmt::format("{:.1f}min", s / 60);
  if (s < 172800) return fmt::format("{:.1f}h", s / 3600);
  return fmt::format("{:.1f}d", s / 86400);
}

std::string table(const json& report) {
  std::string out = fmt::format("delivery figures from {} to {}\n", report.value("since", ""), report.value("until", ""));
  const auto& rows = report["services"];
  if (rows.empty()) return out + "no deployment finished in this window\n";
  out += fmt::format("{:<16} {:<8} {:>10} {:>9} {:>11} {:>11} {:>13} {:>12}\n", "SERVICE", "ENV", "DEPLOYS", "PER WEEK",
                     "LEAD p50", "LEAD p90", "FAILURE RATE", "RESTORE p50");
  for (const auto& r : rows) {
    const auto& cfr = r["change_failure_rate"];
    std::string rate = cfr["rate"].is_number()
                           ? fmt::format("{:.0f}% ({}/{})", 100 * cfr["rate"].get<double>(), cfr["failed"].get<int>(),
                                         cfr["finished"].get<int>())
                           : "-";
    std::string restore = duration(r["time_to_restore"]["median_seconds"]);
    if (r["time_to_restore"]["unrestored"].get<int>() > 0) {
      restore += fmt::format(" +{} open", r["time_to_restore"]["unrestored"].get<int>());
    }
    out += fmt::format("{:<16} {:<8} {:>10} {:>9.1f} {:>11} {:>11} {:>13} {:>12}\n", r.value("service", ""),
                       r.value("env", ""), r["deployment_frequency"]["succeeded"].get<int>(),
                       r["deployment_frequency"]["per_week"].get<double>(), duration(r["lead_time"]["median_seconds"]),
                       duration(r["lead_time"]["p90_seconds"]), rate, restore);
  }
  return out;
}

std::string escapeQuery(const std::string& v) {
  std::string out;
  for (unsigned char c : v) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') out.push_back(static_cast<char>(c));
    else out += fmt::format("%{:02X}", c);
  }
  return out;
}

int runStats(Cli& cli, const StatsArgs& a) {
  json report;
  bool useApi = cli.global.server.has_value() || (std::getenv("RAMP_SERVER") && *std::getenv("RAMP_SERVER")) ||
                runningController(resolveHome(cli.global.home)).has_value();
  if (useApi) {
    auto api = ApiClient::connect(cli.global, false);
    if (!api) return reportError(api.error().describe());
    if (auto s = checkReadScope(knownNames(&*api), a.service, "--service", a.env, "--env"); !s) {
      return reportError(s.error().describe());
    }
    std::string q = "?since=" + escapeQuery(a.since);
    if (!a.service.empty()) q += "&service=" + escapeQuery(a.service);
    if (!a.env.empty()) q += "&env=" + escapeQuery(a.env);
    auto r = api->get("/api/v1/stats" + q);
    if (!r) {
      Error e = r.error();
      if (!e.where.empty()) e.where = "--" + e.where;
      return reportError(e.describe());
    }
    report = *r;
  } else {
    if (auto s = checkReadScope(knownNames(nullptr), a.service, "--service", a.env, "--env"); !s) {
      return reportError(s.error().describe());
    }
    fs::path home = resolveHome(cli.global.home);
    auto st = openHomeStore(home, {}, /*mustExist=*/true);
    if (!st) return reportError(st.error().describe());
    release::ReleaseStore releases(home, **st, SystemClock::instance());
    auto opt = [](const std::string& s) { return s.empty() ? std::nullopt : std::optional<std::string>(s); };
    auto r = server::deliveryStatsReport(**st, releases, SystemClock::instance(), a.since, opt(a.service), opt(a.env),
                                         "--since");
    if (!r) return reportError(r.error().describe());
    report = *r;
  }
  std::cout << (a.json ? report.dump(2) + "\n" : table(report));
  return kExitOk;
}

void addStats(Cli& cli) {
  auto [cmd, args] = addCommand<StatsArgs>(
      cli, cli.app, "stats",
      "Delivery figures (DORA): deployment frequency, lead time, change failure rate, time to restore",
      "Examples:\n  ramp stats\n  ramp stats --env prod --since 90d --json", runStats);
  addOption(cmd, kServiceFilterOption, args->service);
  addOption(cmd, kEnvOption, args->env, "Only this environment");
  cmd->add_option("--since", args->since, "Window: a duration back from now (default 30d; e.g. 7d, 12h)");
  jsonFlag(cmd, args->json);
}

}  // namespace

RAMP_COMMAND(76, addStats)

}  // namespace ramp::cli
