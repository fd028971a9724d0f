// `ramp serve` — run the controller of a ramp world in the foreground.
//
// A world has one leading controller. When one already answers for this
// home on SQLite (the one other commands start by themselves, or a `ramp
// serve` elsewhere), serve starts nothing and says where it is: its API, its
// dashboard, its pid and since when; exit 0 (the world has its controller),
// or 1 when --listen asked for another address than the one it serves on.
// On a shared store (PostgreSQL) a second `ramp serve` is a redundant
// controller: it says who leads and follows, taking over when the leader's
// lease runs out (docs/controller.md).
#include <signal.h>

#include <iostream>

#include <atomic>
#include <filesystem>
#include <utility>

#include "cli/ApiClient.h"
#include "cli/CommandRegistry.h"
#include "cli/ControllerInfo.h"
#include "cli/Options.h"
#include "core/Duration.h"
#include "core/Home.h"
#include "server/Controller.h"

namespace ramp::cli {

namespace {

std::atomic<bool> gStop{false};

struct ServeArgs {
  std::string store;
  std::string listen = "127.0.0.1:0";
  std::string leaseTtl;  // empty = server::defaultLeaseTtl of the store
  std::string tlsCert;
  std::string tlsKey;
  bool supervised = false;
  std::string instanceUser = "ramp-instance";
  std::string auditKeyFile;
};

// The running controller of `home` as people read it, or nullopt.
std::optional<ControllerInfo> runningInfo(const std::filesystem::path& home) {
  if (!runningController(home)) return std::nullopt;
  return controllerInfo(home);
}

int runServe(Cli& cli, const ServeArgs& a) {
  server::ControllerOptions o;
  o.home = resolveHome(cli.global.home);
  auto running = runningInfo(o.home);
  const bool sharedStore = a.store.starts_with("postgresql:") || a.store.starts_with("postgres:") ||
                           (running && running->store == "postgresql");
  if (running && sharedStore) {
    std::cout << "A controller already leads this world (" << o.home.string() << "):\n"
              << describeController(*running)
              << "This one follows it on the shared store and takes over if its lease runs out.\n"
              << std::flush;
  } else if (running) {
    std::string asked = a.listen;
    bool anyAddress = asked == "127.0.0.1:0" || asked == "localhost:0";
    std::cout << "A controller already serves this world (" << o.home.string() << "):\n"
              << describeController(*running) << "Nothing started. `ramp down` stops it (and the fleets); "
              << "`ramp serve` then runs one in the foreground.\n";
    if (!anyAddress && running->address != asked) {
      return reportError("--listen: the running controller serves on " + running->address + ", not " + asked +
                         "; stop it first (ramp down) to serve on another address");
    }
    return kExitOk;
  }
  o.rampBinary = selfBinary();
  o.storeUrl = a.store;
  if (a.instanceUser.empty()) return reportError("--instance-user: must name a user");
  o.instanceUser = a.instanceUser;
  if (!a.auditKeyFile.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(a.auditKeyFile, ec)) {
      return reportError("--audit-key-file: no such file: " + a.auditKeyFile +
                         " (give every controller of the world the same key file: 64 hex characters, mode 0600)");
    }
    o.auditKeyFile = std::filesystem::absolute(a.auditKeyFile);
  }
  if (!a.leaseTtl.empty()) {
    auto ttl = parseDuration(a.leaseTtl);
    if (!ttl || *ttl < std::chrono::milliseconds(500) || *ttl > std::chrono::minutes(10)) {
      return reportError("--lease-ttl: expected a duration between 500ms and 10m (e.g. 3s), got '" + a.leaseTtl + "'");
    }
    o.leaseTtl = *ttl;
  }
  auto colon = a.listen.rfind(':');
  if (colon == std::string::npos) return reportError("--listen: expected HOST:PORT, got '" + a.listen + "'");
  o.listenHost = a.listen.substr(0, colon);
  if (o.listenHost.size() > 2 && o.listenHost.front() == '[') o.listenHost = o.listenHost.substr(1, o.listenHost.size() - 2);
  try {
    o.listenPort = std::stoi(a.listen.substr(colon + 1));
  } catch (...) {
    return reportError("--listen: bad port in '" + a.listen + "'");
  }
  if (o.listenPort < 0 || o.listenPort > 65535) return reportError("--listen: port out of range");
  if (a.tlsCert.empty() != a.tlsKey.empty()) {
    return reportError(a.tlsCert.empty() ? "--tls-cert: HTTPS needs a certificate too (--tls-key was given)"
                                         : "--tls-key: HTTPS needs a private key too (--tls-cert was given)");
  }
  for (const auto& [flag, file] : {std::pair{"--tls-cert", a.tlsCert}, std::pair{"--tls-key", a.tlsKey}}) {
    std::error_code ec;
    if (!file.empty() && !std::filesystem::is_regular_file(file, ec)) {
      return reportError(std::string(flag) + ": no such file: " + file);
    }
  }
  o.tlsCertFile = a.tlsCert.empty() ? "" : std::filesystem::absolute(a.tlsCert).string();
  o.tlsKeyFile = a.tlsKey.empty() ? "" : std::filesystem::absolute(a.tlsKey).string();
  bool loopback = o.listenHost == "127.0.0.1" || o.listenHost == "::1" || o.listenHost == "localhost";
  if (!loopback && a.tlsCert.empty()) {
    return reportError("--listen: " + o.listenHost +
                       " is not a loopback address; serving the API beyond this machine requires TLS "
                       "(--tls-cert FILE --tls-key FILE)");
  }
  if (o.listenHost == "localhost") o.listenHost = "127.0.0.1";
  if (a.supervised) {
    // The command that brings this controller back (core/ControllerLife.h).
    o.supervisedArgv = {o.rampBinary.string(), "serve", "--home", o.home.string(), "--listen", a.listen};
    if (!a.leaseTtl.empty()) o.supervisedArgv.insert(o.supervisedArgv.end(), {"--lease-ttl", a.leaseTtl});
    o.supervisedArgv.push_back("--supervised");
    if (!o.auditKeyFile.empty()) {
      o.supervisedArgv.insert(o.supervisedArgv.end(), {"--audit-key-file", o.auditKeyFile.string()});
    }
    if (!a.store.empty()) o.supervisedArgv.insert(o.supervisedArgv.end(), {"--store", a.store});
    o.supervisedArgv.insert(o.supervisedArgv.end(), {"--instance-user", a.instanceUser});
    if (!a.tlsCert.empty()) {
      o.supervisedArgv.insert(o.supervisedArgv.end(), {"--tls-cert", o.tlsCertFile, "--tls-key", o.tlsKeyFile});
    }
  }
  struct sigaction sa {};
  sa.sa_handler = [](int) { gStop = true; };
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return server::runController(o, gStop);
}

void addServe(Cli& cli) {
  auto [cmd, args] = addCommand<ServeArgs>(
      cli, cli.app, "serve", "Run the controller (started automatically by other commands)",
      "Examples:\n  ramp serve\n"
      "  ramp serve --store postgresql://ramp@db/ramp --listen 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem",
      runServe);
  addOption(cmd, kStoreOption, args->store,
            "Store URL: sqlite:///path.db or postgresql://..., recorded in the home for every command (default: "
            "$RAMP_STORE, the home's recorded store, else SQLite in the home)");
  cmd->add_option("--listen", args->listen, "API address HOST:PORT (loopback only without TLS)");
  cmd->add_option("--tls-cert", args->tlsCert, "PEM certificate (chain) to serve the API over HTTPS");
  cmd->add_option("--tls-key", args->tlsKey, "PEM private key of --tls-cert");
  cmd->add_option("--instance-user", args->instanceUser,
                  "When run as root: the unprivileged user local instances and smoke tests run as (default "
                  "ramp-instance; they always run sandboxed, docs/providers.md)");
  cmd->add_option("--audit-key-file", args->auditKeyFile,
                  "The world's audit seal key, the same on every controller (default $RAMP_AUDIT_KEY_FILE, else "
                  "HOME/audit.key)");
  cmd->add_option("--lease-ttl", args->leaseTtl,
                  "Controller lease time to live (default 3s on PostgreSQL, 10s on SQLite); a follower takes over when it runs out");
  cmd->add_flag("--supervised", args->supervised,
                "Restarted within a second when it dies (by the home's router; how other commands start it)");
}

}  // namespace

RAMP_COMMAND(80, addServe)

}  // namespace ramp::cli
