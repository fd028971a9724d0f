// Deployment.h — one run of a strategy for a release in an environment, as a
// persisted state machine.
//
// `state` is what people and scripts see (design.md): queued | running |
// paused | awaiting_approval | succeeded | failed | rolled_back | aborted.
// Before "start" a deployment may wait at gates (GatePhases.cpp): phase
// "approval" (state awaiting_approval), "queue" (state queued, behind the
// active deployment of its service+env), "window" (state queued, outside
// its deployment window or inside a freeze).
// `phase` is where the strategy is inside that state (Phase.h; which phase
// may follow which: PhaseTable.h). The engine commits a
// phase before performing that phase's side effect, and every phase's side
// effect is idempotent, so a controller killed anywhere resumes by simply
// performing the current phase again.
//
// Regions in waves (WavePhases.cpp, docs/decisions.md "Deployments across
// regions"): with `waves` non-empty the deployment covers several regions of
// its environment, one per wave, in order. `region`, `rendered`,
// `configDigest`, the fleets, step, analysis, verdicts, bake and deadlines
// are always those of the CURRENT wave (`wave`, 0-based). Each entry of
// `waves` is a Wave (below). Only the last wave's success makes the deployment
// `succeeded`; a rollback or failure in any wave ends the deployment and
// the later waves are `not_started`. Empty `waves` = one region, as ever.
//
// A deployment may be `succeeded` and still have work left (keeping the
// previous fleet warm for the bake time, then retiring it): `phase` is
// "done" only when nothing is left to do.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/Judge.h"
#include "core/Result.h"
#include "engine/ApprovalRequest.h"
#include "engine/CounterSnapshot.h"
#include "engine/CounterWindow.h"
#include "engine/Phase.h"

namespace ramp::engine {

using Json = nlohmann::json;

inline constexpr const char* kQueued = "queued";
inline constexpr const char* kRunning = "running";
inline constexpr const char* kPaused = "paused";
inline constexpr const char* kAwaitingApproval = "awaiting_approval";
inline constexpr const char* kSucceeded = "succeeded";
inline constexpr const char* kFailed = "failed";
inline constexpr const char* kRolledBack = "rolled_back";
inline constexpr const char* kAborted = "aborted";

bool isTerminalState(const std::string& state);

// The canary's current analysis step (doc key "analysis"; {} before the
// first): the counters of both fleets when the step began, the router's
// counters of each fleet through a window that survives their restart
// (CounterWindow.h), the judge's persisted state, the step's deadline and
// next look (absolute Unix ms).
struct CanaryAnalysis {
  bool armed = false;  // an analysis step has begun in this region
  CounterSnapshot canaryStart;
  CounterSnapshot baselineStart;
  // "canary_window" / "baseline_window"; absent in records older than them
  // (the window then starts at canaryStart / baselineStart).
  std::optional<CounterWindow> canaryWindow;
  std::optional<CounterWindow> baselineWindow;
  analysis::JudgeState state;
  int64_t deadlineAt = 0;
  int64_t nextLookAt = 0;
  int64_t startedAt = 0;  // Unix ms the step began (0 in older records: deadline - duration)
  // Inconclusive, waiting for a person in canary_pause: the judge keeps
  // looking at this analysis (CanaryPhases::watchPaused).
  bool watch = false;
  // on_inconclusive: pause_at_zero — the canary's weight before it was set
  // to 0; resume gives it back.
  std::optional<int> zeroedWeight;
  // The canary fleet's instance restarts when the step began (-1: not
  // known, or a record older than the crash-loop rule).
  int restartsAtStart = -1;
};

// One sample of the previous (blue) fleet's counters before the switch.
struct BakeSample {
  int64_t at = 0;  // Unix ms
  CounterSnapshot blue;
};

// Watching the bake (BakePhases.cpp; doc key "bake"): before the switch, samples
// of blue's counters; at the switch, the window the judge compares green
// with (blue from..to, green's counters at the switch); during the bake the
// judge's state and next look. `judged`: the judge has decided (or could
// not: `skipped` says why); `resolved`: the end of the bake was handled with
// the alarms' state unknown (paused for a person).
struct BakeWatch {
  std::vector<BakeSample> samples;
  std::optional<CounterSnapshot> blueFrom;
  std::optional<CounterSnapshot> blueTo;
  std::optional<CounterSnapshot> greenFrom;
  // Green's counters from greenFrom through a window that survives the data
  // plane's restart ("green_window"; absent: it starts at greenFrom).
  std::optional<CounterWindow> greenWindow;
  // Blue's counters from blueFrom to blueTo through every sample between,
  // so a router restart inside the window before the switch does not leave
  // the judge a near-empty baseline ("blue_window"; absent: blueTo - blueFrom).
  std::optional<CounterWindow> blueWindow;
  int64_t windowMs = 0;
  analysis::JudgeState state;
  int64_t nextLookAt = 0;
  bool judged = false;
  std::string skipped;
  bool resolved = false;
};

// One region of a deployment in waves (WavePhases.cpp). `state`: pending |
// running | succeeded | rolled_back | failed | aborted | not_started.
struct Wave {
  std::string region;
  std::string state = "pending";
  std::string version;
  std::string oldVersion;
  std::string newFleet;
  std::string oldFleet;
  std::string reason;
  int64_t startedAt = 0;   // Unix ms, 0 = not yet
  int64_t finishedAt = 0;  // Unix ms, 0 = not yet
  Json verdict;            // the region's last verdict (null = none)
  Json rendered = Json::object();  // the service config rendered for the region
  std::string configDigest;
};

struct Deployment {
  std::string id;
  std::string service;
  std::string env;
  std::string region;
  std::string kind = "deploy";       // deploy | rollback
  std::string strategy;              // bluegreen | canary | all-at-once
  std::string state = kQueued;
  Phase phase = Phase::kStart;
  // The phase as last read from or written to the store (fromRecord,
  // DeploymentLedger::commit): a commit checks that `phase` follows it in
  // PhaseTable.h.
  Phase recordedPhase = Phase::kStart;
  std::string reason;
  int step = 0;                      // 1-based index of the current step, 0 before the first
  int steps = 0;
  std::vector<std::string> stepNames;

  std::string version;
  std::string digest;
  std::string releasePath;
  std::string configDigest;
  int64_t configVersion = 0;         // config of record version it was rendered from (0 = none)
  std::optional<std::string> gitCommit;
  std::optional<bool> gitDirty;
  Json rendered = Json::object();    // the effective service config it runs with

  std::string newFleet;              // the fleet this deployment creates (green / canary)
  std::string oldFleet;              // the fleet it replaces (blue / stable), may be empty
  std::string oldVersion;
  std::string rollsBack;             // kind=rollback: the deployment being rolled back
  std::string createdBy;
  int64_t createdAt = 0;
  int64_t updatedAt = 0;
  int64_t finishedAt = 0;
  int64_t deadlineAt = 0;            // absolute (Unix ms): survives restarts
  int64_t bakeUntil = 0;             // absolute (Unix ms)
  // A phase whose side effect keeps failing (Engine::errorExit): since when
  // (Unix ms, 0 = it is not failing) and the kind of failure last recorded.
  // A new phase starts with neither.
  int64_t failingSince = 0;
  std::string failure;
  int64_t revision = 0;              // store revision this copy was read at

  CanaryAnalysis analysis;
  // The judge's most recent reports (analysis::Verdict::toJson plus where:
  // "step", "during", "baseline_window_ms", "latency_source"), newest last,
  // at most 20; a "continue" is only ever the last one.
  std::vector<Json> verdicts;
  std::string endState;              // state an abort/rollback ends in (default rolled_back)
  BakeWatch bake;
  // strategy.baseline: fresh — a fleet of the stable release at the
  // canary's size that the canary is judged against; "" = none.
  std::string baselineFleet;

  // Pipeline (docs/pipeline.md). `pipeline` is the promotion order the
  // deployment was submitted with (empty = no order rules); `laterStages`
  // the rendered configs of the stages after `env` (for auto-promotion).
  std::vector<std::string> pipeline;
  Json laterStages = Json::object();
  bool hotfix = false;
  std::string hotfixReason;
  std::string promotedFrom;          // env the release came from (promotions)
  std::string promotedFromId;        // the deployment it succeeded in there
  std::string autoPromotedTo;        // id of the auto-promotion this started ("" = none yet)
  ApprovalRequest approval;          // empty() when none
  bool started = true;               // false until it leaves phase "start" (gates: never started)
  std::vector<Wave> waves;           // regions in waves (see above); empty = one region
  int wave = 0;                      // index of the current wave in `waves`
  bool rollbackAllRegions = false;   // a stop in a region rolls back the earlier regions too (rb_regions)

  // The record's document (everything but id/service/env/state/revision)
  // and back: the one place a deployment is serialised. Keys and forms are
  // those the engine always wrote, so old records load.
  Json toDoc() const;
  // kInternal naming the id when the document cannot be read (a field of the
  // wrong type, an unknown phase: the message lists the known ones).
  static Result<Deployment> fromRecord(const std::string& id, const std::string& service,
                                       const std::string& env, const std::string& state,
                                       int64_t revision, const Json& doc);
  bool active() const { return !isTerminalState(state) || phase != Phase::kDone; }
  bool hasWaves() const { return !waves.empty(); }
  bool lastWave() const { return !hasWaves() || wave + 1 >= static_cast<int>(waves.size()); }
  // The current wave (hasWaves() only).
  Wave& currentWave() { return waves.at(static_cast<size_t>(wave)); }
  // The waves as people and scripts see them: every entry without its
  // rendered config; in a finished deployment a wave still "pending" shows
  // as "not_started". [] without waves.
  Json wavesView() const;
  // The newest verdict, or null.
  Json lastVerdict() const { return verdicts.empty() ? Json(nullptr) : verdicts.back(); }
  // Adds the judge's newest report to `verdicts` as described there: it
  // replaces a last "continue", and the oldest go beyond 20.
  void keepVerdict(Json verdict);
  // The times the current step waits for, for people (server/
  // DeploymentProgress.h): {deadline_at_ms, bake_until_ms,
  // analysis_deadline_at_ms, next_look_at_ms, judge_looks}, null when none.
  Json timingView() const;
};

// The name of the fleet a deployment creates: service-env-version-<id
// suffix>, sanitised (lowercase letters, digits, '-', '.'); across regions
// (waves) the region is in it too, as fleet names are global on the local
// provider.
std::string fleetNameFor(const Deployment& d);

}  // namespace ramp::engine
