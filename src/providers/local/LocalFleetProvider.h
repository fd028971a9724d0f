// LocalFleetProvider.h — fleets as real processes on this machine.
//
// A fleet is N instance processes of one release. Each instance runs under
// its own shim (`ramp instance-shim`, InstanceShim.h), spawned detached
// (double fork + setsid) so instances outlive the controller. Each instance
// gets a free loopback port (PORT), the fleet's environment (references
// resolved by the shim at start) and ramp's RAMP_* variables, and its own
// process group. State: $RAMP_HOME/fleets/<fleetId>/fleet.json (FleetRecord),
// per instance $RAMP_HOME/fleets/<fleetId>/<instanceId>/{launch.json,
// status.json, shim.log, stdout.log, stderr.log}.
//
// Contract (see Provider.h and docs/providers.md):
//   - createFleet is idempotent: the same spec converges (starts missing
//     instances) and returns OK; a different spec for the same id is
//     kConflict; an epoch older than one already seen is kConflict. It
//     returns once the instances are started, not necessarily healthy.
//   - Before every instance start the release tree digest is verified (here
//     and again in the shim); a release changed on disk is refused with
//     kFailedPrecondition naming the version and both digests. Unresolvable
//     run.env references (e.g. a missing secret) are refused the same way,
//     naming the variable. Nothing is started then; FleetStatus.error says why.
//   - A fleet is never changed in place: a crashed or persistently unhealthy
//     instance is replaced by a fresh one (new id, new port) of the same
//     release, in the same slot, with restarts+1; never more than `instances`
//     live at once. Repeated crashes in a slot back off (1s, 2s, 4s ... 30s,
//     on the injected clock). A retiring fleet is not supervised.
//   - retireFleet SIGTERMs every instance's process group (through its shim),
//     waits up to `drain` + stopGrace, then SIGKILLs; afterwards no process of
//     the fleet exists. Logs are kept under $RAMP_HOME/fleets-retired/
//     <fleetId>.<unixms>/ (the newest 20 retirements are kept); the fleet's
//     runtime state is deleted. Retiring an unknown fleet is OK.
//   - On construction every fleet on disk is re-adopted: an instance is kept
//     only if its recorded pid is alive with the recorded start time;
//     otherwise it is marked exited (and nothing is signalled — a reused pid
//     belongs to a stranger) and supervision replaces it.
//   - One provider per home at a time (the controller holds the lease).
//   - The destructor stops supervision but never stops instances.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <functional>
#include <thread>
#include <vector>

#include "core/Clock.h"
#include "providers/Provider.h"
#include "providers/local/FleetRecord.h"

namespace ramp::providers {

struct LocalFleetOptions {
  uint64_t logMaxBytes = 10u << 20;                 // per log file before rotation
  int logKeep = 3;                                  // rotated files kept (stdout.log.1 ..)
  std::chrono::milliseconds startTimeout{5000};     // wait for a shim to report its start
  std::chrono::milliseconds stopGrace{2000};        // after SIGTERM (+ drain) before SIGKILL
  std::chrono::milliseconds startupGrace{30000};    // a never-healthy instance is replaced after this
  int keepReplaced = 10;                            // replaced instance records kept per fleet
  std::string instanceUser = "ramp-instance";       // instances run as this user when the controller is root (Sandbox.h)
};

class LocalFleetProvider final : public FleetProvider {
 public:
  // `home`: the ramp world. `rampBinary`: the `ramp` executable used to run
  // shims (production: the target of /proc/self/exe; tests: $RAMP_BIN).
  LocalFleetProvider(std::filesystem::path home, std::filesystem::path rampBinary, Clock& clock,
                     LocalFleetOptions options = {});
  ~LocalFleetProvider() override;
  LocalFleetProvider(const LocalFleetProvider&) = delete;
  LocalFleetProvider& operator=(const LocalFleetProvider&) = delete;

  Status createFleet(const FleetSpec& spec) override;
  Result<FleetStatus> fleetStatus(const std::string& fleetId) override;
  Status retireFleet(const std::string& fleetId, std::chrono::milliseconds drain) override;
  Result<std::vector<std::string>> listFleets(const std::optional<std::string>& service,
                                              const std::optional<std::string>& env) override;

  // One supervision round over every fleet that is not retiring: notice
  // exited instances, run health checks, replace dead / persistently
  // unhealthy instances. Returns the first error met (the round continues).
  Status tick();
  // Runs tick() on a background thread every health interval (the smallest
  // of the fleets', at least 50 ms; 1 s with no fleets). Idempotent.
  void start();
  void stop();
  // Asked before every background supervision round: an error skips the
  // round, so a controller that may no longer lead (its lease lapsing)
  // never starts or replaces instances. Set before start(). Empty = always.
  void setActGate(std::function<Status()> gate) { actGate_ = std::move(gate); }

  // What re-adoption found at construction, one line per instance
  // ("fleet/instance: adopted pid N" or "...: not adopted: ..."). For logs.
  std::vector<std::string> adoptionReport() const;

 private:
  struct Probe {
    int successes = 0;
    int failures = 0;
    bool checked = false;
    MonoTime since{};
  };
  struct Fleet {
    FleetRecord rec;
    std::map<std::string, Probe> probes;      // by instance id
    std::map<int, int> crashStreak;           // by slot: replacements since last healthy
    std::map<int, MonoTime> notBefore;        // by slot: backoff
  };

  std::filesystem::path fleetDir(const std::string& id) const;
  Status save(const Fleet& f);
  void adoptAll();
  // Brings recorded process state up to date (liveness, status.json).
  bool refresh(Fleet& f);
  // Checks digest and env references; "" when fine.
  std::string preflight(const FleetSpec& spec);
  // Starts instances in empty slots; `respectBackoff` for supervision.
  Status converge(Fleet& f, bool respectBackoff);
  void stopInstance(InstanceRecord& inst, std::chrono::milliseconds wait);
  void applyCheck(Fleet& f, InstanceRecord& inst, const Status& result);
  FleetStatus statusOf(const Fleet& f) const;
  void runLoop();

  std::filesystem::path home_;
  std::filesystem::path rampBinary_;
  Clock& clock_;
  LocalFleetOptions options_;

  mutable std::mutex mu_;
  std::map<std::string, Fleet> fleets_;
  std::vector<std::string> adoption_;

  std::mutex loopMu_;
  std::condition_variable loopCv_;
  bool loopStop_ = false;
  std::thread loop_;
  std::function<Status()> actGate_;
};

}  // namespace ramp::providers
