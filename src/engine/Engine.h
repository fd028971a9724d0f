// Engine.h — the deployment engine: a facade for the people's calls and a
// scheduler of the deployments' state machines.
//
// The controller calls tick() every ~100 ms; API handlers call submit(),
// rollback(), control() and the read methods from other threads. Each tick:
//   1. runs the current phase of every deployment with work left, through
//      its strategy (PhaseMachine: GatePhases, BlueGreenPhases, BakePhases,
//      CanaryPhases, RollbackPhases, WavePhases over a RunContext), as many
//      phases as it can without waiting, committing each Transition;
//   2. reconciles every entry point's data plane with its desired weights
//      (Entrypoints), filling in each fleet's currently healthy instances;
//   3. starts due auto-promotions.
//
// Rules the engine keeps (design.md "never negotiable"):
//   - a phase is committed to the store before its side effect; every side
//     effect is idempotent, so a restarted engine just re-runs the current
//     phase of every active deployment and converges to the same end state;
//   - which phase may follow which is PhaseTable: any other move is refused;
//   - deadlines are absolute wall-clock times in the record;
//   - one active deployment per service + environment (others are refused
//     naming the running one, or wait in phase "queue" when asked to);
//   - a deployment passes its gates before it starts: approval
//     (ApprovalPolicyCheck), queue (FIFO per service+env), window
//     (DeploymentWindow); into a later pipeline stage only a release that
//     succeeded in the stage before (PromotionCheck) unless it is a hotfix;
//   - a release's digest is verified before its fleet is created;
//   - every transition and traffic change is an audit event;
//   - a provider error marked permanent (Error::permanent) ends the phase at
//     once by its error exit (PhaseTable, trigger "error") with the error
//     as the reason; any other error is retried on the next tick.
//
// Thread-safety: thread-safe. The people's calls never wait for a phase in
// progress: a record is written with the revision it was read at (the
// store refuses a stale one), so a person's abort and a tick's phase never
// both land — the loser's work is as if it had crashed before its commit,
// which every phase survives. Calls that create deployments (submit,
// promote, rollback's redeploy, auto-promotion, rb_regions) are serialised
// per service+environment (the one-active rule is check-then-insert).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/Clock.h"
#include "core/Result.h"
#include "engine/AlarmWatch.h"
#include "engine/Deployment.h"
#include "engine/DeploymentLedger.h"
#include "engine/Entrypoints.h"
#include "engine/HotfixDebt.h"
#include "engine/PhaseMachine.h"
#include "engine/PhaseTable.h"
#include "engine/ReleaseCatalog.h"
#include "engine/RunContext.h"
#include "engine/ServicePlan.h"
#include "engine/ServiceStatus.h"
#include "engine/Strands.h"
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
  // fake it; empty = `sh -c` with the extra environment (core/Subprocess.h).
  CommandRunner runCommand;
  // Deployments advanced side by side (Strands.h): this many worker
  // threads, one service+environment at a time each. 0 = every job runs in
  // tick() itself, one after the other (tests: deterministic ticks).
  size_t workers = 0;
  // Every entry point's data plane is reconciled with its plan at least this
  // often (spread over the ticks; an entry point with a deployment in
  // progress also after each of its runs). 0 = all of them on every tick.
  std::chrono::milliseconds sweepEvery{0};
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
  // Regions in waves (WavePhases): one entry per region, deployed one after
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
  Engine(store::Store& store, providers::FleetProvider& fleets, providers::TrafficProvider& traffic,
         providers::MetricsProvider& metrics, ReleaseCatalog& releases, Clock& clock, EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Validates and records a new deployment (state queued); tick() runs it.
  Result<Deployment> submit(const DeployRequest& request);
  // Rolls back the newest deployment of service/env: switches back to the
  // warm previous fleet if there is one, else deploys the previous
  // successful release as a new fleet.
  // `comment`: why (recorded in the audit event and the reason).
  Result<Deployment> rollback(const std::string& service, const std::string& env, const std::string& actor,
                              const std::string& comment = "");
  // Manual controls on the active deployment of service/env, recorded with
  // who did it and why (`comment`, optional): pause | resume | promote-now | abort.
  Result<Deployment> control(const std::string& service, const std::string& env, const std::string& action,
                             const std::string& actor, const std::string& comment = "");
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

  // One round of work: schedules every deployment with work left whose
  // next look has come (NextLook.h; one job per idle service+env, Strands),
  // a slice of the entry points' sweep and the auto-promotions; returns at
  // once with workers (the first error a job reported since the last tick),
  // or after the work without. Never waits on a person or a timer.
  Status tick();
  // How many times a deployment's phase has been run (read and advanced)
  // since this engine began: what NextLook saves shows here.
  uint64_t looks() const { return looks_.load(std::memory_order_relaxed); }
  // Renews the weight lease of every entry point whose plan holds one, at
  // most once per third of the lease (engine/WeightLease.h). Thread-safe and
  // independent of tick(): the controller calls it from a thread of its own
  // so that a tick busy with another service (a smoke test runs up to 60 s)
  // never lets a canary's lease run out while the controller is alive. A
  // lease not held (not set yet, or already run out) is left to tick().
  Status renewLeases();
  // Stops scheduling: running jobs finish (a smoke test in progress is
  // stopped and will run again), queued ones are dropped. Idempotent; the
  // destructor calls it.
  void stop();

  // What `ramp status` shows (ServiceStatus.h), for every service/env with
  // deployments (server/StatusJson.cpp makes the JSON).
  Result<std::vector<ServiceStatus>> status(const std::optional<std::string>& service,
                                            const std::optional<std::string>& env);

  // `ramp down`: retires every fleet (of `env`, or all) and forgets their
  // entry points' weights. Active deployments are aborted first. What
  // options.mayActOn refuses is left as it is, and `skipped` (if given)
  // receives why, once per environment. Always ends: a fleet that cannot be
  // retired (its provider answers an error, e.g. its region does not
  // answer) is named in `problems` and the others are still retired; only
  // the store failing is an error.
  struct DownReport {
    int retired = 0;                    // fleets retired now
    std::vector<std::string> problems;  // "fleet X (env/region): why"
  };
  Result<DownReport> retireAll(const std::optional<std::string>& env, const std::string& actor,
                               std::vector<std::string>* skipped = nullptr);

  // Entry points the engine has created (names service.env.region).
  std::vector<providers::EntrypointKey> entrypoints();

 private:
  // Runs one deployment's phases until it waits; commits every transition.
  Status advance(Deployment& d);
  // A strand's job: advances the deployments of one service+env (oldest
  // first, each read afresh), then reconciles their entry points.
  void runKey(const std::string& key, const std::vector<std::string>& ids);
  // Work index (deployments with work left): loaded from the store on the
  // first tick and every kRescan, kept current by submit and by the jobs.
  Status rescan();
  void noteWork(const Deployment& d);
  // Makes every deployment of service+env due at the next tick (the
  // ledger's hook for writes made outside their own job; NextLook.h).
  void touch(const std::string& service, const std::string& env);
  // A new deployment, once recorded with its events: its service+env's job
  // posted at once (not at the next tick) when workers run jobs and this
  // controller may act.
  void wake(const Deployment& d);
  // `job` with any exception it throws turned into the next tick's error.
  std::function<void()> guardedJob(std::function<void()> job);
  void noteJobError(const Error& e);
  static std::string strandOf(const std::string& service, const std::string& env) { return service + "\n" + env; }
  PhaseMachine& machineFor(Phase p);
  // Commits `t` (a move checked against PhaseTable). true = run again.
  Result<bool> apply(Deployment& d, Transition t);
  // Every wait has an end (design.md): `d`'s phase failed with `e`. The
  // failure becomes the deployment's reason (event deployment.retrying when
  // its kind starts or changes, so `ramp status` says why it is not moving);
  // a permanent error (Error::permanent: bad credentials, a missing load
  // balancer, an unknown region...) ends the phase at once, any other once
  // the phase has been failing for longer than the strategy's deadline. The
  // way out is the phase's PhaseTable row for Trigger::kError: before traffic
  // moved -> fail_cleanup; while it moves or bakes -> rollback; while undoing
  // (fail_cleanup, rb_*) or past the switch (drain/retire previous,
  // wave_done) -> done, naming the fleet `ramp down` must retire. nullopt:
  // the error is the controller's (the store, a conflict, the lease) or the
  // phase has no exit (gates): it is returned and the phase retried.
  std::optional<Transition> errorExit(Deployment& d, const ServicePlan& plan, const Error& e);
  // RegionDrain.cpp: a deployment across regions is changing its current
  // region's traffic (from its start to its verified switch, or while it
  // rolls back there): the region is drained meanwhile.
  static bool drainsRegion(const Deployment& d);
  // Tells the traffic provider whether `key` is drained: `drain` when given
  // (and remembered), else what was last decided for it (false if nothing).
  Status settleDrain(const providers::EntrypointKey& key, std::optional<bool> drain);
  // The end of an approval refusal (Approvals.cpp): who may approve
  // instead, how an admin grants the role.
  std::string approverHint(const Deployment& d, const ApprovalRequest& req, const std::string& actor);
  // The facts PhaseTable's rows ask about (fact::k...), as far as the record
  // tells (strategy, previous fleet, waves; not the plan's smoke test).
  static uint32_t factsOf(const Deployment& d);

  // control() once; `stale` = its write was refused because a phase moved
  // the record meanwhile (control() then decides again, kStaleRetries times).
  Result<Deployment> controlOnce(const std::string& service, const std::string& env, const std::string& action,
                                 const std::string& actor, const std::string& comment, bool& stale);
  static constexpr int kStaleRetries = 5;
  // Checks req.waves (kInvalid naming waves[i].FIELD); ok without waves.
  static Status validateWaves(const DeployRequest& req);
  // Creating deployments, under the service+env's lock (keyLock).
  Result<Deployment> submitLocked(const DeployRequest& request, const std::string& promotedFrom,
                                  const std::string& promotedFromId);
  // The rollback deployment of the regions `d` left on its release
  // (`queue`: behind `d` while it finishes). Caller holds keyLock.
  Result<Deployment> rollbackKeptRegions(const Deployment& d, const std::string& actor, bool queue);
  // Starts due auto-promotions (rendered environment.auto_promote).
  Status autoPromote();
  // Its environment auto-promotes and its pipeline has a next stage.
  static bool autoPromotes(const Deployment& d);
  std::mutex& keyLock(const std::string& service, const std::string& env);
  std::string newDeploymentId();

  store::Store& store_;
  Clock& clock_;
  EngineOptions options_;
  DeploymentLedger ledger_;
  Entrypoints entrypoints_;
  AlarmWatch alarms_;
  std::unique_ptr<providers::MetricQuerySource> ownQueries_;  // when options_.metricQueries is null
  EngineParts parts_;
  std::array<std::unique_ptr<PhaseMachine>, kMachineCount> machines_;
  // Striped locks for creating deployments: one per service+env hash.
  std::array<std::mutex, 64> keyLocks_;

  struct WorkItem {
    std::string service;
    std::string env;
    int64_t createdAt = 0;
    MonoTime notBefore{};  // its next look (NextLook.h); {} = due
    uint64_t touches = 0;  // touch() count: a job's next look is dropped if touched meanwhile
  };
  std::mutex workMu_;  // guards the fields below
  std::map<std::string, WorkItem> work_;    // deployment id -> where
  bool workLoaded_ = false;
  MonoTime nextRescan_{};
  size_t sweepAt_ = 0;                      // next entry point of the sweep
  MonoTime lastSweepTick_{};
  // Auto-promotion is looked at (a read of the newest deployments) when a
  // deployment that auto-promotes has just succeeded, and every
  // kPromoteLook besides (a soak that ended; a new term), never every tick.
  bool promoteDue_ = true;
  MonoTime nextPromoteLook_{};
  std::optional<Error> jobError_;           // first since the last tick
  std::set<providers::EntrypointKey> draining_;  // regions a wave is changing (RegionDrain.cpp)
  std::atomic<uint64_t> looks_{0};
  std::atomic<bool> stopping_{false};       // stop(): smoke tests are cancelled
  // Last member: destroyed first, so no job outlives what it uses.
  Strands strands_;
};

}  // namespace ramp::engine
