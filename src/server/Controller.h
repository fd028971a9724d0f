// Controller.h — `ramp serve`: the process that owns a ramp world.
//
// Start-up, in order:
//   1. open the store (SQLite in the home by default) and apply migrations;
//   2. check the audit key: a controller whose key did not make the log's
//      seal refuses to lead, saying why (store/AuditSeal.h checkKey);
//      then take the "controller" lease (a second controller for the same
//      store is refused while the lease is alive; a crashed one's lease
//      expires);
//   3. make sure the first admin and its token exist (Identity::ensureAdmin:
//      home/admin.token, 0600; only its sha256 is kept in the store);
//   4. make sure the router runs (it outlives the controller) and re-adopt
//      the instances of every fleet on disk;
//   5. serve the API (HTTPS when a certificate and key are given) and record
//      the address in home/controller.json ({address, url, ...});
//   6. tick the engine every 100 ms, renewing the lease; an engine that
//      cannot renew stops acting at once (it may have been deposed).
// SIGTERM/SIGINT or POST /api/v1/down end it; instances and router keep
// running on SIGTERM (they are independent processes), `down` retires them.
// While it runs it holds the home's controller life (core/ControllerLife.h)
// and, every second, makes sure the router runs: the router watches a
// supervised controller in turn (router/ControllerWatch.h).
#pragma once

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/Result.h"

namespace ramp::server {

struct ControllerOptions {
  std::filesystem::path home;
  std::filesystem::path rampBinary;
  std::string storeUrl;                 // empty = the home's store (store/StoreLocation.h)
  std::string listenHost = "127.0.0.1";
  int listenPort = 0;
  std::string tlsCertFile;              // both set = serve HTTPS (required off loopback)
  std::string tlsKeyFile;
  std::chrono::milliseconds tick{100};
  std::chrono::milliseconds leaseTtl{0};     // 0 = defaultLeaseTtl(the store's kind)
  // Non-empty: this controller is supervised (core/ControllerLife.h): the
  // home's router starts this command again when the controller dies. Left
  // unsupervised when it stops on purpose (SIGTERM, down).
  std::vector<std::string> supervisedArgv;
  // Local instances and smoke tests run sandboxed (providers/local/Sandbox.h);
  // as this unprivileged user when the controller runs as root.
  std::string instanceUser = "ramp-instance";
  // The world's audit key (the same file content on every controller of a
  // shared store); empty = $RAMP_AUDIT_KEY_FILE, else home/audit.key.
  std::filesystem::path auditKeyFile;
};

// The lease's time to live when none is given: 3 s on PostgreSQL (the
// store controllers on several hosts share: a follower takes over as soon
// as a dead leader's lease runs out, within ~5/6 of it on average, so a
// cross-host takeover stays under 5 s with start-up; renewed every 1 s, a
// leader stops acting after 2 s without a renewal), 10 s on
// SQLite (one home: a dead controller's lease is freed at once by its pid,
// and a long store stall should not depose the only controller).
inline std::chrono::milliseconds defaultLeaseTtl(const std::string& storeKind) {
  return std::chrono::milliseconds(storeKind == "postgresql" ? 3000 : 10000);
}

// Runs until stopped; returns the process exit code.
int runController(const ControllerOptions& options, std::atomic<bool>& stop);

}  // namespace ramp::server
