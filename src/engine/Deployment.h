// Deployment.h — one run of a strategy for a release in an environment, as a
// persisted state machine.
//
// `state` is what people and scripts see (design.md): queued | running |
// paused | awaiting_approval | succeeded | failed | rolled_back | aborted.
// Before "start" a deployment may wait at gates (Gates.cpp): phase
// "approval" (state awaiting_approval), "queue" (state queued, behind the
// active deployment of its service+env), "window" (state queued, outside
// its deployment window or inside a freeze).
// `phase` is where the strategy is inside that state (Phase.h; which phase
// may follow which: PhaseTable.h). The engine commits a
// phase before performing that phase's side effect, and every phase's side
// effect is idempotent, so a controller killed anywhere resumes by simply
// performing the current phase again.
//
// Regions in waves (Waves.cpp, docs/decisions.md "Deployments across
// regions"): with `waves` non-empty the deployment covers several regions of
// its environment, one per wave, in order. `region`, `rendered`,
// `configDigest`, the fleets, step, analysis, verdicts, bake and deadlines
// are always those of the CURRENT wave (`wave`, 0-based). Each entry of
// `waves` is {region, state (pending | running | succeeded | rolled_back |
// failed | aborted | not_started), version, old_version, new_fleet,
// old_fleet, reason, started_at, finished_at, verdict, rendered,
// config_digest}. Only the last wave's success makes the deployment
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

#include "core/Result.h"
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
  // Engine::commit): a commit checks that phase follows it in PhaseTable.h.
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
  int64_t revision = 0;              // store revision this copy was read at

  // Canary analysis: the judge's persisted state, the counters at the start
  // of the current analysis step, its deadline and next look (absolute).
  Json analysis = Json::object();
  Json verdicts = Json::array();     // the most recent verdicts, newest last
  std::string endState;              // state an abort/rollback ends in (default rolled_back)
  // Watching the bake (Bake.cpp): samples of the previous fleet's counters
  // before the switch, the window the judge compares green with, the
  // judge's state, the next look (absolute).
  Json bake = Json::object();
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
  Json approval = Json::object();    // ApprovalRequest::toJson(), empty when none
  bool started = true;               // false until it leaves phase "start" (gates: never started)
  Json waves = Json::array();        // regions in waves (see above); empty = one region
  int wave = 0;                      // index of the current wave in `waves`
  bool rollbackAllRegions = false;   // a stop in a region rolls back the earlier regions too (rb_regions)

  Json toDoc() const;                // everything but id/service/env/state/revision
  // kInternal naming the id when the document cannot be read (a field of the
  // wrong type, an unknown phase: the message lists the known ones).
  static Result<Deployment> fromRecord(const std::string& id, const std::string& service,
                                       const std::string& env, const std::string& state,
                                       int64_t revision, const Json& doc);
  bool active() const { return !isTerminalState(state) || phase != Phase::kDone; }
  bool hasWaves() const { return waves.is_array() && !waves.empty(); }
  bool lastWave() const { return !hasWaves() || wave + 1 >= static_cast<int>(waves.size()); }
  // The waves as people and scripts see them: every entry without its
  // rendered config; in a finished deployment a wave still "pending" shows
  // as "not_started". [] without waves.
  Json wavesView() const;
};

}  // namespace ramp::engine
