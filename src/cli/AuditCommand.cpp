// `ramp audit [--service S] [--env E] [--deployment ID] [--since T] [--limit N] [--json]`
// `ramp audit verify [--json] [--key-file F] [--store URL]`
// `ramp audit seal [--key-file F] [--store URL]`
//
// Where the log is read from: through the controller's API when one is
// running for the home (or --server / $RAMP_SERVER names one); otherwise
// straight from the home's store (--store, $RAMP_STORE, the home's store.url,
// else SQLite `$RAMP_HOME/ramp.db`: cli/HomeStore.h),
// so an auditor can check a world whose controller is down. `--key-file` or
// `--store` always mean the local path. No controller is started.
//
// verify exits 0 when the chain and its seal are intact, 1 otherwise, naming
// the first broken event. seal signs the current head (what the controller
// does after every tick) and refuses a chain that does not verify; it goes
// through the controller (POST /api/v1/audit/seal: admin on "*", a viewer's
// token is refused and the command exits 1, nothing sealed) unless the
// operator names --store or --key-file (offline, holding the key).
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
#include "store/AuditQuery.h"
#include "store/AuditSeal.h"
#include "store/Store.h"

namespace ramp::cli {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

struct AuditArgs {
  std::string service, env, deployment, since, store, keyFile;
  int limit = 1000;
  bool json = false;
};

bool useApi(const Cli& cli, const AuditArgs& a) {
  if (!a.store.empty() || !a.keyFile.empty()) return false;
  if (cli.global.server) return true;
  const char* env = std::getenv("RAMP_SERVER");
  if (env && *env) return true;
  return runningController(resolveHome(cli.global.home)).has_value();
}

Result<std::unique_ptr<store::Store>> openLocalStore(const Cli& cli, const AuditArgs& a) {
  return openHomeStore(resolveHome(cli.global.home), a.store, /*mustExist=*/true);
}

std::string query(const AuditArgs& a) {
  std::string q;
  auto add = [&](const char* k, const std::string& v) {
    if (v.empty()) return;
    q += q.empty() ? "?" : "&";
    // Values are names, times and numbers; escape the few characters that matter.
    std::string esc;
    for (char c : v) {
      if (c == '+' || c == '&' || c == '=' || c == '%' || c == '#' || c == ' ') {
        esc += fmt::format("%{:02X}", static_cast<unsigned char>(c));
      } else {
        esc += c;
      }
    }
    q += std::string(k) + "=" + esc;
  };
  add("service", a.service);
  add("env", a.env);
  add("deployment", a.deployment);
  add("since", a.since);
  add("limit", std::to_string(a.limit));
  return q;
}

std::string str(const json& j, const char* key) {
  if (!j.contains(key)) return {};
  const auto& v = j[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return {};
  return v.dump();
}

// One line saying what an event is about, without digests and hashes.
std::string summary(const json& e) {
  const json& d = e["data"];
  if (!d.is_object()) return d.dump();
  std::string out;
  auto part = [&](const std::string& s) {
    if (s.empty()) return;
    if (!out.empty()) out += " ";
    out += s;
  };
  std::string kind = str(e, "kind");
  if (kind == "traffic.set" && d.contains("weights") && d["weights"].is_object()) {
    for (auto& [fleet, w] : d["weights"].items()) part(fleet + "=" + w.dump());
  } else if (kind == "verdict") {
    part(str(d, "verdict"));
    if (d.contains("score")) part("score=" + d["score"].dump());
    part(str(d, "reason"));
  } else if (kind.starts_with("notification.")) {
    part(str(d, "event"));
    part(str(d, "webhook"));
    if (d.contains("attempts")) part("attempts=" + d["attempts"].dump());
    if (d.contains("status")) part("status=" + d["status"].dump());
    part(str(d, "error"));
  } else {
    for (const char* k : {"version", "state", "phase", "action", "to_fleet", "rolls_back", "by"}) {
      std::string v = str(d, k);
      if (!v.empty()) part(std::string(k) + "=" + v);
    }
    if (d.contains("step") && d["step"].is_number() && d["step"].get<int>() > 0) part("step=" + d["step"].dump());
    std::string reason = str(d, "reason");
    if (!reason.empty()) part("reason: " + reason);
  }
  if (out.size() > 100) out = out.substr(0, 97) + "...";
  return out;
}

std::string renderTable(const json& events) {
  if (events.empty()) return "no audit events\n";
  std::string out = fmt::format("{:>6}  {:<24}  {:<10}  {:<20}  {:<18}  {:<22}  {}\n", "SEQ", "TIME", "ACTOR",
                                "KIND", "SERVICE/ENV", "DEPLOYMENT", "SUMMARY");
  for (const auto& e : events) {
    std::string where = str(e, "service");
    if (!str(e, "env").empty()) where += "/" + str(e, "env");
    std::string dep = str(e, "deployment");
    out += fmt::format("{:>6}  {:<24}  {:<10}  {:<20}  {:<18}  {:<22}  {}\n", e.value("seq", 0), str(e, "time"),
                       str(e, "actor"), str(e, "kind"), where.empty() ? "-" : where, dep.empty() ? "-" : dep,
                       summary(e));
  }
  return out;
}

int runList(Cli& cli, const AuditArgs& a) {
  if (a.limit < 1 || a.limit > 10000) return reportError("--limit: must be between 1 and 10000");
  json events;
  if (useApi(cli, a)) {
    auto api = ApiClient::connect(cli.global, false);
    if (!api) return reportError(api.error().describe());
    if (auto s = checkReadScope(knownNames(&*api), a.service, "--service", a.env, "--env"); !s) {
      return reportError(s.error().describe());
    }
    auto r = api->get("/api/v1/audit" + query(a));
    if (!r) {
      Error e = r.error();
      if (!e.where.empty()) e.where = "--" + e.where;  // the API names its parameter; the flag has the same name
      return reportError(e.describe());
    }
    events = *r;
  } else {
    std::map<std::string, std::string> q{{"service", a.service}, {"env", a.env}, {"deployment", a.deployment},
                                         {"since", a.since}, {"limit", std::to_string(a.limit)}};
    if (a.since.empty()) q.erase("since");
    auto filter = store::AuditQuery::parse(q, SystemClock::instance());
    if (!filter) return reportError("--" + filter.error().describe());
    if (auto s = checkReadScope(knownNames(nullptr), a.service, "--service", a.env, "--env"); !s) {
      return reportError(s.error().describe());
    }
    auto st = openLocalStore(cli, a);
    if (!st) return reportError(st.error().describe());
    auto evs = (*st)->listEvents(*filter);
    if (!evs) return reportError(evs.error().describe());
    events = json::array();
    for (const auto& e : *evs) events.push_back(store::AuditQuery::eventToJson(e));
  }
  std::cout << (a.json ? events.dump(2) + "\n" : renderTable(events));
  return kExitOk;
}

int runVerify(Cli& cli, const AuditArgs& a) {
  json v;
  if (useApi(cli, a)) {
    auto api = ApiClient::connect(cli.global, false);
    if (!api) return reportError(api.error().describe());
    auto r = api->get("/api/v1/audit/verify");
    if (!r) return reportError(r.error().describe());
    v = *r;
  } else {
    auto st = openLocalStore(cli, a);
    if (!st) return reportError(st.error().describe());
    store::AuditSeal seal(resolveHome(cli.global.home), SystemClock::instance(),
                          a.keyFile.empty() ? fs::path() : fs::path(a.keyFile));
    auto r = seal.verify(**st);
    if (!r) return reportError(r.error().describe());
    v = r->toJson();
  }
  bool good = v.value("ok", false);
  if (a.json) {
    std::cout << v.dump(2) << "\n";
  } else if (good) {
    std::cout << fmt::format("audit log intact: {} events, head {}, sealed at {} ({})\n", v.value("count", 0),
                             v.value("head", ""), v.value("sealed_count", 0),
                             v["sealed_at"].is_string() ? v["sealed_at"].get<std::string>() : "-");
  } else {
    std::string first = v["first_broken_seq"].is_number() ? fmt::format("first broken event: seq {}\n",
                                                                         v["first_broken_seq"].get<int64_t>())
                                                           : std::string();
    if (v.value("chain_ok", false) && !v.value("seal_checked", true)) {
      // Not broken as far as anyone can tell: this host cannot check the seal.
      std::cout << fmt::format("audit log chain intact ({} events), but its seal could NOT be checked here\n",
                               v.value("count", 0))
                << "problem: " << v.value("problem", "") << "\n";
    } else {
      std::cout << "audit log NOT intact\n" << first << "problem: " << v.value("problem", "") << "\n";
    }
  }
  return good ? kExitOk : kExitFailure;
}

int runSeal(Cli& cli, const AuditArgs& a) {
  // Through the controller, which seals only for an admin on "*" (a viewer's
  // token is refused 403 there and here). Only an operator who names the
  // store and the key file (--store / --key-file: they hold the key) seals
  // offline.
  if (a.store.empty() && a.keyFile.empty()) {
    auto api = ApiClient::connect(cli.global);
    if (!api) return reportError(api.error().describe());
    auto r = api->post("/api/v1/audit/seal", json::object());
    if (!r) return reportError(r.error().describe());
    std::cout << fmt::format("sealed: {} events, head {}\n", r->value("sealed_count", r->value("count", 0)),
                             r->value("head", ""));
    return kExitOk;
  }
  auto st = openLocalStore(cli, a);
  if (!st) return reportError(st.error().describe());
  store::AuditSeal seal(resolveHome(cli.global.home), SystemClock::instance(),
                        a.keyFile.empty() ? fs::path() : fs::path(a.keyFile));
  if (auto s = seal.update(**st); !s) return reportError(s.error().describe());
  auto text = readFile(seal.sealFile(), 1 << 16);
  std::cout << "sealed: " << (text ? *text : std::string("\n"));
  return kExitOk;
}

// --key-file, of `audit verify` and `audit seal`.
void addKeyFileOption(CLI::App* cmd, AuditArgs& args) {
  cmd->add_option("--key-file", args.keyFile, "The seal's key file (default $RAMP_AUDIT_KEY_FILE or HOME/audit.key)");
}

void addAudit(Cli& cli) {
  auto args = std::make_shared<AuditArgs>();
  auto* cmd = cli.app.add_subcommand("audit", "Read the audit log; `audit verify` checks it is complete and untampered");
  cmd->footer("Examples:\n  ramp audit --service crawler --env prod --since 7d\n  ramp audit --deployment dep-42 --json\n  ramp audit verify");
  addOption(cmd, kServiceFilterOption, args->service, "Only events of this service");
  addOption(cmd, kEnvOption, args->env, "Only events of this environment");
  cmd->add_option("--deployment,-d", args->deployment, "Only events of this deployment");
  cmd->add_option("--since", args->since, "RFC 3339 time, Unix milliseconds, or a duration back from now (2h)");
  cmd->add_option("--limit", args->limit, "At most this many events, oldest first (1..10000, default 1000)");
  addOption(cmd, kStoreOption, args->store);
  jsonFlag(cmd, args->json);

  auto* verify = cmd->add_subcommand("verify", "Check the hash chain and its signed seal; exit 1 naming the first broken event");
  verify->footer("Examples:\n  ramp audit verify\n  ramp audit verify --json --key-file /etc/ramp/audit.key");
  jsonFlag(verify, args->json);
  addKeyFileOption(verify, *args);
  addOption(verify, kStoreOption, args->store);
  verify->callback([&cli, args] { cli.exitCode = runVerify(cli, *args); });

  auto* seal = cmd->add_subcommand("seal", "Sign the current head of the audit chain (the controller does this itself)");
  seal->footer("Examples:\n  ramp audit seal --key-file /etc/ramp/audit.key");
  addKeyFileOption(seal, *args);
  addOption(seal, kStoreOption, args->store, "Use this store (URL) instead of the home's");
  seal->callback([&cli, args] { cli.exitCode = runSeal(cli, *args); });

  cmd->callback([&cli, args, cmd] {
    if (cmd->get_subcommands().empty()) cli.exitCode = runList(cli, *args);
  });
}

}  // namespace

RAMP_COMMAND(75, addAudit)

}  // namespace ramp::cli
