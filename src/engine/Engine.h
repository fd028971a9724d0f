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
//     naming the running one, or wait in phase "queue" when asked to);
//   - a deployment passes its gates before it starts (Gates.cpp): approval
//     (ApprovalPolicyCheck), queue (FIFO per service+env), window
//     (DeploymentWindow); into a later pipeline stage only a release that
//     succeeded in the stage before (PromotionCheck) unless it is a hotfix;
//   - a release's digest is verified before its fleet is created;
//   - every transition and traffic change is an audit event.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/Judge.h"
#include "core/Clock.h"
#include "core/Result.h"
#include "engine/Deployment.h"
#include "engine/HotfixDebt.h"
#include "engine/PhaseTable.h"
#include "engine/ReleaseCatalog.h"
#include "engine/ServicePlan.h"
#include "engine/TrafficPlan.h"
#include "providers/AlarmSource.h"
#include "providers/Provider.h"
#include "providers/prometheus/MetricQuerySource.h"
#include "store/Store.h"

namespace ramp::engine {

struct DeployRequest;

struct EngineOptions {
  std::string owner = "ramp";                // who the controller is, in audit events
  std::optional<store::Fence> fence;         // the controller's lease, checked on writes
  // Asked before every phase and every traffic reconciliation: an error
  // means "this controller may no longer be the leader" (its lease is about
  // to run out unrenewed), and the engine stops acting for this tick. This
  // protects targets that cannot check the fence epoch (AWS). Empty = always.
  std::function<Status()> mayAct;
  // Runs a smoke-test command; returns its exit code. Injected so tests can
  // fake it; the default runs `sh -c` with the extra environment.
  std::function<int(const std::string& command, const std::map<std::string, std::string>& env,
                     std::chrono::milliseconds timeout)>
      runCommand;
  // External alarms (environment.aws.alarms) consulted during canary
  // analyses and pauses and during a blue/green bake: a firing alarm rolls
  // the deployment back ("alarm NAME is in ALARM"); an error is recorded
  // ("alarm state unknown: ...") and retried, never taken as fine.
  // nullptr = no alarm source.
  providers::AlarmSource* alarms = nullptr;
  // Whether this controller may act on a service/env at all (a `local`
  // environment of another host's controller: providers/ProviderSet.h
  // canAct). When refused, the engine leaves that environment's
  // deployments, fleets and traffic exactly as they are — its deployments
  // wait, their reason saying why, and `ramp down` skips them. Empty = yes.
  std::function<Status(const std::string& service, const std::string& env)> mayActOn;
  // Where metrics defined as queries (analysis.metrics[].prometheus) are
  // read. nullptr = the Prometheus server the analysis block names
  // (providers::PrometheusQuerySource).
  providers::MetricQuerySource* metricQueries = nullptr;
  // Fills an auto-promotion's rendered config, digest, git state, pipeline,
  // later stages, waves and config version for request.service/env from the
  // configuration the controller enforces now (its config of record,
  // record/ConfigOfRecord.h), so that the target stage is judged by its
  // policy in force. Empty = the later stages stored with the deployment.
  std::function<Status(DeployRequest&)> renderStage;
};

// One region of a deployment across regions: the service rendered for it.
struct RegionTarget {
  std::string region;
  nlohmann::json rendered;                   // effective service config for this region
  std::string configDigest;
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
  int64_t configVersion = 0;                 // the config of record version it was rendered from (0 = none)
  std::string actor;
  // Pipeline (docs/pipeline.md).
  std::vector<std::string> pipeline;         // promotion order; empty = no order rules
  nlohmann::json laterStages = nlohmann::json::object();  // env -> rendered config of later stages
  bool hotfix = false;                       // out of pipeline order; needs hotfixReason
  std::string hotfixReason;
  bool queue = false;                        // wait behind the active deployment instead of refusal
  bool undo = false;                         // a rollback's redeploy: no approval/window/pipeline gates
  // Regions in waves (Waves.cpp): one entry per region, deployed one after
  // the other in this order with the same strategy; the first wave's
  // region/rendered/configDigest replace the fields above (`region`, when
  // given, must be the first wave's). Empty = one region (`region`).
  std::vector<RegionTarget> waves;
  // With waves: a rollback/failure/abort in a region also rolls back the
  // regions that already took the release (a rollback deployment of the
  // previous release to them, started by itself). Default: they keep it.
  bool rollbackAllRegions = false;
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
  // `ramp promote`: deploys into req.env the release that last succeeded in
  // the stage before it (req.version is ignored; PromotionCheck decides),
  // with req.rendered (the target's effective config). Goes through the
  // target's approval policy like any deployment.
  Result<Deployment> promote(const DeployRequest& request);
  // A person approves / rejects a deployment awaiting approval. `roles` are
  // the roles the actor holds in the deployment's environment. Refusals:
  // kPermissionDenied (own request, missing role), kFailedPrecondition (not
  // awaiting approval, expired, already approved by them), kInvalid (reject
  // without comment). Each is an audit event with the counts.
  Result<Deployment> approve(const std::string& id, const std::string& actor, const std::set<std::string>& roles,
                             const std::string& comment);
  Result<Deployment> reject(const std::string& id, const std::string& actor, const std::set<std::string>& roles,
                            const std::string& comment);
  // Deployments awaiting approval, oldest first.
  Result<std::vector<Deployment>> pendingApprovals(const std::optional<std::string>& service,
                                                   const std::optional<std::string>& env);
  // Hotfix debt (HotfixDebt.h) of a service, or of all.
  Result<std::vector<HotfixDebtEntry>> hotfixDebt(const std::optional<std::string>& service);

  Result<Deployment> get(const std::string& id);
  Result<std::vector<Deployment>> list(const std::optional<std::string>& service,
                                       const std::optional<std::string>& env, int limit);

  // One round of work; never waits on a person or a timer.
  Status tick();
  // Renews the weight lease of every entry point whose plan holds one, at
  // most once per third of the lease (engine/WeightLease.h). Thread-safe and
  // independent of tick(): the controller calls it from a thread of its own
  // so that a tick busy with another service (a smoke test runs up to 60 s)
  // never lets a canary's lease run out while the controller is alive. A
  // lease not held (not set yet, or already run out) is left to tick().
  Status renewLeases();

  // `ramp status` objects (design.md) for every service/env with deployments.
  Result<nlohmann::json> status(const std::optional<std::string>& service,
                                const std::optional<std::string>& env);

  // `ramp down`: retires every fleet (of `env`, or all) and forgets their
  // entry points' weights. Active deployments are aborted first. What
  // options.mayActOn refuses is left as it is, and `skipped` (if given)
  // receives why, once per environment.
  Status retireAll(const std::optional<std::string>& env, const std::string& actor,
                   std::vector<std::string>* skipped = nullptr);

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
  // Waves (Waves.cpp). wave_done: the current region completed (or the
  // deployment was aborted meanwhile): start the next region at "start".
  Result<bool> runWavePhase(Deployment& d);
  // Checks req.waves (kInvalid naming waves[i].FIELD); ok without waves.
  static Status validateWaves(const DeployRequest& req);
  // Makes wave `index` the current one: its region, rendered config (with
  // hotfix steps for a hotfix), digest, step names and fleet name; resets
  // every per-region field. Does not commit.
  Status loadWave(Deployment& d, int index);
  // Merges `fields` into the current wave's entry (no-op without waves).
  void noteWave(Deployment& d, const nlohmann::json& fields);
  // The current region's work is done (switched, baked, previous retired)
  // and it is not the last: records the wave succeeded and commits phase
  // wave_done with the event deployment.wave_succeeded.
  Status completeWave(Deployment& d);
  // The deployment ends `endState` in the current wave: that wave takes the
  // state (unless `currentCompleted`), later ones are not_started, and
  // d.reason names the region and what every other region runs.
  void stopWaves(Deployment& d, const std::string& endState, bool currentCompleted);
  // Regions of a deployment that ended (not succeeded) that kept its
  // release; and the rollback deployment of the previous release to them
  // (`queue`: behind `d` while it finishes).
  static std::vector<std::string> keptRegions(const Deployment& d);
  Result<Deployment> rollbackKeptRegions(const Deployment& d, const std::string& actor, bool queue);
  static std::vector<std::string> stepNamesOf(const std::string& strategy, const ServicePlan& plan);
  static std::string fleetNameFor(const Deployment& d);
  static nlohmann::json withHotfixSteps(nlohmann::json rendered);
  // Canary steps (Canary.cpp): weights, pauses, analyses judged by the
  // statistical judge; a failing verdict hands over to the rollback phases.
  Result<bool> runCanaryPhase(Deployment& d, const ServicePlan& plan);
  // Both fleets' cumulative counters (CounterSnapshot) and the values of
  // the metrics read from a query server (options.metricQueries).
  Result<nlohmann::json> snapshotMetrics(const Deployment& d, const ServicePlan& plan);
  // One look of the canary's judge at the armed analysis (d.analysis):
  // snapshot, differences since the step began, Judge::step; the judge's
  // state is updated in d.analysis (not committed). `snap` gets the snapshot.
  Result<analysis::Judge::Step> lookAtCanary(Deployment& d, const ServicePlan& plan, const analysis::JudgeConfig& cfg,
                                             bool final, nlohmann::json& snap);
  // While a person decides (state paused in canary_analysis, or in the
  // canary_pause of an inconclusive step): the judge keeps looking every
  // step interval; evidence of harm rolls back (true), anything else only
  // updates the latest verdict.
  Result<bool> watchPausedCanary(Deployment& d, const ServicePlan& plan);
  // The verdict's `progress` (docs/analysis.md "While it runs"): step, the
  // canary's weight, seconds elapsed and to the deadline, both fleets'
  // requests and errors since the step began, the canary's rate, and the
  // forecast of a decision in time and weight (analysis::DecisionForecast).
  nlohmann::json progressOf(const Deployment& d, const ServicePlan& plan, const analysis::ErrorCounts& canary,
                            const analysis::ErrorCounts& baseline, const analysis::Verdict& verdict) const;
  // The canary's weight in effect before step `step` (its last weight step).
  static int canaryWeightBefore(const ServicePlan& plan, int step);
  // Sets the canary's weight (and the pin) in the traffic plan and
  // reconciles the data plane.
  Status setCanaryWeight(const Deployment& d, const ServicePlan& plan, int weight);
  // Alarms (options.alarms, plan.alarms). At most one look per second per
  // deployment unless `force`. The first firing alarm's name, or none;
  // `unknown` is set (and an alarm.unknown event recorded when the error
  // changes) when the source could not say.
  std::optional<std::string> firingAlarm(const Deployment& d, const ServicePlan& plan, bool force,
                                         bool& unknown);
  // Hands a deployment to the rollback phases (rb_capacity first): traffic
  // back to the previous fleet once it has the capacity, then retire.
  Status startRollback(Deployment& d, const std::string& reason, nlohmann::json data);
  // Bake (Bake.cpp): samples the previous fleet's counters before the
  // switch; at the switch fixes the judge's window; during the bake judges
  // green against it and watches alarms. true = the deployment moved on
  // (rolled back, or paused for a person).
  Status sampleBeforeSwitch(Deployment& d, const ServicePlan& plan);
  Status fixBakeWindow(Deployment& d, const ServicePlan& plan);
  Result<bool> watchBake(Deployment& d, const ServicePlan& plan);
  // Gates before "start" (Gates.cpp): approval, queue, window.
  Result<bool> runGatePhase(Deployment& d);
  // The gate a deployment goes to after `from` (approval, queue or window):
  // queue | window | start. Sets d.state / d.reason accordingly.
  Result<Phase> nextGate(Deployment& d, Phase from);
  // True when an older active deployment of the same service+env exists.
  Result<std::optional<std::string>> blockedBy(const Deployment& d);
  Result<Deployment> submitLocked(const DeployRequest& request, const std::string& promotedFrom,
                                  const std::string& promotedFromId);
  // Starts due auto-promotions (rendered environment.auto_promote).
  Status autoPromote();
  // Writes the record (and, with an event kind, its audit event). A phase
  // change since the record was read must be a row of PhaseTable: any other
  // is a bug, refused with kInternal and not written.
  Status commit(Deployment& d, const std::string& eventKind, nlohmann::json data = {});
  Status enterPhase(Deployment& d, Phase phase, nlohmann::json data = {});
  // A record the engine cannot read (an unknown phase, a field of the wrong
  // type) ends `failed`, phase done, with the reading error as its reason,
  // rather than staying active and failing every tick.
  Status failUnreadable(const store::DeploymentRecord& rec, const Error& why);
  Status finish(Deployment& d, const std::string& state, const std::string& reason);

  providers::EntrypointKey keyOf(const Deployment& d) const;
  Result<TrafficPlan> loadPlan(const providers::EntrypointKey& key);
  Status savePlan(const providers::EntrypointKey& key, const TrafficPlan& plan,
                  const std::string& actor, const std::string& deploymentId);
  // Makes the data plane apply the plan (engine/WeightLease.h): sets the
  // split when it differs, renews a held lease when due, and leaves a split
  // whose lease ran out alone — unless `resumeRanOut` (the deployment chose
  // on_lease_expiry: resume), which puts the plan's split back.
  Status reconcileTraffic(const providers::EntrypointKey& key, bool resumeRanOut = false);
  // A deployment in a canary phase whose weight lease ran out acts by
  // strategy.on_lease_expiry (rollback, or resume the step). true = it did.
  Result<bool> leaseRanOut(Deployment& d, const ServicePlan& plan);
  // true when the data plane applies exactly the desired weights.
  Result<bool> trafficVerified(const providers::EntrypointKey& key);
  Status rememberEntrypoint(const providers::EntrypointKey& key, std::optional<int> port);

  Result<std::optional<std::string>> stableFleet(const providers::EntrypointKey& key);
  Status setStableFleet(const providers::EntrypointKey& key, const std::string& fleet,
                        const std::string& version);
  Result<providers::FleetSpec> fleetSpec(const Deployment& d, const ServicePlan& plan);
  // ScalingHold.cpp: with plan.scaling, holds (true) or releases (false) the
  // scaling of every fleet of the deployment (new, previous, baseline) while
  // traffic moves between them. Idempotent; no-op without scaling.
  Status holdScaling(const Deployment& d, const ServicePlan& plan, bool hold);
  // `release` = the fleet's release when it is not the deployment's own
  // (a fresh baseline fleet runs the stable release).
  Status recordFleet(const Deployment& d, const std::string& fleetId, const std::string& state,
                     const ReleaseRef* release = nullptr);
  // strategy.baseline: fresh — creates the baseline fleet (stable release,
  // canary's size; idempotent by fleet id), and retires it (idempotent).
  Result<bool> createBaselineFleet(Deployment& d, const ServicePlan& plan);
  Status retireBaselineFleet(const Deployment& d, const ServicePlan& plan);
  Status markFleet(const std::string& fleetId, const std::string& state);
  Status audit(const std::string& kind, const Deployment& d, nlohmann::json data,
               const std::string& actor = {});

  std::string newDeploymentId();
  // The facts PhaseTable's rows ask about (fact::k...), as far as the record
  // tells (strategy, previous fleet, waves; not the plan's smoke test).
  static uint32_t factsOf(const Deployment& d);

  store::Store& store_;
  providers::FleetProvider& fleets_;
  providers::TrafficProvider& traffic_;
  providers::MetricsProvider& metrics_;
  ReleaseCatalog& releases_;
  Clock& clock_;
  EngineOptions options_;
  std::recursive_mutex mu_;
  // Alarm look throttling and the last error recorded, per deployment (in
  // memory: a restart only costs one extra look and one repeated event).
  std::map<std::string, MonoTime> nextAlarmLook_;
  std::map<std::string, std::string> lastAlarmError_;
  std::unique_ptr<providers::MetricQuerySource> ownQueries_;  // when options_.metricQueries is null
  providers::MetricQuerySource* metricQueries_ = nullptr;
  // renewLeases(): when each entry point's lease was last renewed.
  std::mutex leaseMu_;
  std::map<std::string, MonoTime> leaseRenewedAt_;
};

}  // namespace ramp::engine
