// Engine.h — the deployment engine: persisted state machines driven by ticks.
//
// The controller calls tick() every ~100 ms from one thread; API handlers
// call submit(), rollback() and the read methods from others. Each tick:
//   1. advances every active deployment through as many phases as it can
//      without waiting (strategy code in BlueGreen.cpp / Canary.cpp decides,
//      the providers act);
//   2. reconciles every entry point's data plane with the desired weights
//      (TrafficPlan), filling in each fleet's currently healthy instances.
//
// Rules the engine keeps (design.md "never negotiable"):
//   - a phase is committed to the store before its side effect; every side
//     effect is idempotent, so a restarted engine just re-runs the current
//     phase of every active deployment and converges to the same end state;
//   - deadlines are absolute wall-clock times in the record;
//   - one active deployment per service + environment (others are refused
//     naming the running one);
//   - a release's digest is verified before its fleet is created;
//   - every transition and traffic change is an audit event.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/Clock.h"
#include "core/Result.h"
#include "engine/Deployment.h"
#include "engine/ReleaseCatalog.h"
#include "engine/ServicePlan.h"
#include "engine/TrafficPlan.h"
#include "providers/Provider.h"
#include "store/Store.h"

namespace ramp::engine {

struct EngineOptions {
  std::string owner = "ramp";                // who the controller is, in audit events
  std::optional<store::Fence> fence;         // the controller's lease, checked on writes
  // Runs a smoke-test command; returns its exit code. Injected so tests can
  // fake it; the default runs `sh -c` with the extra environment.
  std::function<int(const std::string& command, const std::map<std::string, std::string>& env,
                     std::chrono::milliseconds timeout)>
      runCommand;
};

struct DeployRequest {
  std::string service;
  std::string env;
  std::string region;                        // empty = the environment's first region
  std::string version;
  std::optional<std::string> strategy;       // overrides the configured one
  nlohmann::json rendered;                   // effective service config (ramp render --json)
  std::string configDigest;
  std::optional<std::string> gitCommit;
  std::optional<bool> gitDirty;
  std::string actor;
};

class Engine {
 public:
  Engine(store::Store& store, providers::FleetProvider& fleets,
         providers::TrafficProvider& traffic, providers::MetricsProvider& metrics,
         ReleaseCatalog& releases, Clock& clock, EngineOptions options);

  // Validates and records a new deployment (state queued); tick() runs it.
  Result<Deployment> submit(const DeployRequest& request);
  // Rolls back the newest deployment of service/env: switches back to the
  // warm previous fleet if there is one, else deploys the previous
  // successful release as a new fleet.
  Result<Deployment> rollback(const std::string& service, const std::string& env,
                              const std::string& actor);
  // Manual controls on the active deployment of service/env, recorded with
  // who did it: pause | resume | promote-now | abort.
  Result<Deployment> control(const std::string& service, const std::string& env,
                             const std::string& action, const std::string& actor);
  Result<Deployment> get(const std::string& id);
  Result<std::vector<Deployment>> list(const std::optional<std::string>& service,
                                       const std::optional<std::string>& env, int limit);

  // One round of work; never waits on a person or a timer.
  Status tick();

  // `ramp status` objects (design.md) for every service/env with deployments.
  Result<nlohmann::json> status(const std::optional<std::string>& service,
                                const std::optional<std::string>& env);

  // `ramp down`: retires every fleet (of `env`, or all) and forgets their
  // entry points' weights. Active deployments are aborted first.
  Status retireAll(const std::optional<std::string>& env, const std::string& actor);

  // Entry points the engine has created (names service.env.region).
  std::vector<providers::EntrypointKey> entrypoints();

 private:
  // Advances one deployment until it waits; commits every phase change.
  Status advance(Deployment& d);
  // Runs the current phase once. true = the phase changed (run again).
  // Phases shared by every strategy (start, fleet creation, health, switch,
  // bake, retire, failure cleanup) live in BlueGreen.cpp; rollback phases in
  // Rollback.cpp.
  Result<bool> runPhase(Deployment& d, const ServicePlan& plan);
  Result<bool> runRollbackPhase(Deployment& d, const ServicePlan& plan);
  // Canary steps (Canary.cpp): weights, pauses, analyses judged by the
  // statistical judge; a failing verdict hands over to the rollback phases.
  Result<bool> runCanaryPhase(Deployment& d, const ServicePlan& plan);
  Result<nlohmann::json> snapshotMetrics(const Deployment& d);

  Status commit(Deployment& d, const std::string& eventKind, nlohmann::json data = {});
  Status enterPhase(Deployment& d, const std::string& phase, nlohmann::json data = {});
  Status finish(Deployment& d, const std::string& state, const std::string& reason);

  providers::EntrypointKey keyOf(const Deployment& d) const;
  Result<TrafficPlan> loadPlan(const providers::EntrypointKey& key);
  Status savePlan(const providers::EntrypointKey& key, const TrafficPlan& plan,
                  const std::string& actor, const std::string& deploymentId);
  Status reconcileTraffic(const providers::EntrypointKey& key);
  // true when the data plane applies exactly the desired weights.
  Result<bool> trafficVerified(const providers::EntrypointKey& key);
  Status rememberEntrypoint(const providers::EntrypointKey& key, std::optional<int> port);

  Result<std::optional<std::string>> stableFleet(const providers::EntrypointKey& key);
  Status setStableFleet(const providers::EntrypointKey& key, const std::string& fleet,
                        const std::string& version);
  Result<providers::FleetSpec> fleetSpec(const Deployment& d, const ServicePlan& plan);
  Status recordFleet(const Deployment& d, const std::string& fleetId, const std::string& state);
  Status markFleet(const std::string& fleetId, const std::string& state);
  Status audit(const std::string& kind, const Deployment& d, nlohmann::json data,
               const std::string& actor = {});

  std::string newDeploymentId();

  store::Store& store_;
  providers::FleetProvider& fleets_;
  providers::TrafficProvider& traffic_;
  providers::MetricsProvider& metrics_;
  ReleaseCatalog& releases_;
  Clock& clock_;
  EngineOptions options_;
  std::recursive_mutex mu_;
};

}  // namespace ramp::engine
