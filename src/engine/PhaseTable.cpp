#include "engine/PhaseTable.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace ramp::engine {

namespace {

using P = Phase;
using T = Trigger;
namespace f = fact;

constexpr bool kMain = true;
constexpr bool kExit = false;

std::vector<PhaseRow> buildRows() {
  const std::vector<Phase> canarySteps{P::kCanaryStep, P::kCanaryVerify, P::kCanaryPause, P::kCanaryAnalysis};
  std::vector<Phase> all(allPhases().begin(), allPhases().end());
  // Phases in which traffic may have moved to the new fleet: an abort there
  // switches back to the previous fleet.
  std::vector<Phase> trafficMoved = canarySteps;
  trafficMoved.insert(trafficMoved.end(), {P::kSwitch, P::kVerifySwitch, P::kBake});
  // Started, not being undone, not finished.
  std::vector<Phase> running{P::kStart,         P::kCreateFleet,    P::kWaitHealthy, P::kSmokeTest,
                             P::kSwitch,        P::kVerifySwitch,   P::kBake,        P::kDrainPrevious,
                             P::kRetirePrevious, P::kWaveDone};
  running.insert(running.end(), canarySteps.begin(), canarySteps.end());
  // The previous fleet is still warm (not being retired, not retired).
  std::vector<Phase> previousWarm{P::kStart, P::kCreateFleet, P::kWaitHealthy, P::kSmokeTest,   P::kSwitch,
                                  P::kVerifySwitch, P::kBake, P::kDrainPrevious, P::kFailCleanup};
  previousWarm.insert(previousWarm.end(), canarySteps.begin(), canarySteps.end());

  return {
      // ---- gates ----
      {{P::kApproval}, P::kQueue, T::kTick, kMain, 0, "approved while an older deployment is active"},
      {{P::kApproval}, P::kWindow, T::kTick, kMain, 0, "approved outside the deployment window"},
      {{P::kApproval}, P::kStart, T::kTick, kMain, 0, "approved"},
      {{P::kApproval}, P::kDone, T::kTick, kExit, 0, "the request expired: state `aborted`"},
      {{P::kQueue}, P::kWindow, T::kTick, kMain, 0, "nothing older is active, outside the window"},
      {{P::kQueue}, P::kStart, T::kTick, kMain, 0, "nothing older is active"},
      {{P::kWindow}, P::kStart, T::kTick, kMain, 0, "the window is open"},
      // ---- bluegreen: the fleet phases every strategy shares ----
      {{P::kStart}, P::kCreateFleet, T::kTick, kMain, 0, ""},
      {{P::kCreateFleet}, P::kWaitHealthy, T::kTick, kMain, 0, "the fleet is being created"},
      {{P::kCreateFleet}, P::kFailCleanup, T::kTick, kExit, 0,
       "the digest changed, or the fleet (or a fresh baseline) could not be created"},
      {{P::kWaitHealthy}, P::kSmokeTest, T::kTick, kMain, f::kSmokeTest, "every instance healthy, a smoke test configured"},
      {{P::kWaitHealthy}, P::kCanaryStep, T::kTick, kMain, f::kNoSmokeTest | f::kCanary, "every instance healthy (canary)"},
      {{P::kWaitHealthy}, P::kSwitch, T::kTick, kMain, f::kNoSmokeTest | f::kNotCanary, "every instance healthy"},
      {{P::kWaitHealthy}, P::kFailCleanup, T::kTick, kExit, 0, "the deadline passed"},
      {{P::kSmokeTest}, P::kCanaryStep, T::kTick, kMain, f::kCanary, "the command exited 0 (canary)"},
      {{P::kSmokeTest}, P::kSwitch, T::kTick, kMain, f::kNotCanary, "the command exited 0"},
      {{P::kSmokeTest}, P::kFailCleanup, T::kTick, kExit, 0, "the command failed or timed out (60 s)"},
      {{P::kSwitch}, P::kVerifySwitch, T::kTick, kMain, 0, ""},
      {{P::kVerifySwitch}, P::kBake, T::kTick, kMain, f::kPrevious,
       "the weights are applied; state `succeeded` (in the last region)"},
      {{P::kVerifySwitch}, P::kDone, T::kTick, kMain, f::kNoPrevious | f::kLastWave,
       "the weights are applied, no previous fleet: state `succeeded`"},
      {{P::kVerifySwitch}, P::kWaveDone, T::kTick, kMain, f::kNoPrevious | f::kMoreWaves,
       "the weights are applied, no previous fleet, more regions"},
      {{P::kFailCleanup}, P::kDone, T::kTick, kMain, 0, "state `failed` (or `aborted`)"},
      {{P::kFailCleanup}, P::kRbRegions, T::kTick, kExit, 0, "`rollback_all_regions` and earlier regions kept the release"},
      // ---- bake ----
      {{P::kBake}, P::kDrainPrevious, T::kTick, kMain, 0, "`bake_until` passed (or a person resumed a paused bake)"},
      {{P::kBake}, P::kRbCapacity, T::kTick, kExit, 0,
       "the judge fails green, an alarm fires, or alarms unknown at the end with `on_inconclusive: rollback`"},
      {{P::kDrainPrevious}, P::kRetirePrevious, T::kTick, kMain, 0, "blue has no request in flight, or `strategy.drain` passed"},
      {{P::kRetirePrevious}, P::kDone, T::kTick, kMain, f::kLastWave, ""},
      {{P::kRetirePrevious}, P::kWaveDone, T::kTick, kMain, f::kMoreWaves, "more regions"},
      // ---- canary ----
      {{P::kCanaryStep}, P::kCanaryVerify, T::kTick, kExit, 0, "a weight step"},
      {{P::kCanaryStep}, P::kCanaryPause, T::kTick, kExit, 0, "a pause step"},
      {{P::kCanaryStep}, P::kCanaryAnalysis, T::kTick, kExit, 0, "an analysis step"},
      {{P::kCanaryStep}, P::kSwitch, T::kTick, kMain, 0, "no stable fleet to compare with"},
      {{P::kCanaryVerify}, P::kCanaryStep, T::kTick, kExit, 0, "the step's weights are applied: the next step"},
      {{P::kCanaryPause}, P::kCanaryStep, T::kTick, kExit, 0, "the pause ended, or a person resumed: the next step"},
      {{P::kCanaryPause}, P::kRbCapacity, T::kTick, kExit, 0,
       "an alarm fires, or the judge, still looking while a person decides an inconclusive step, fails the canary"},
      {canarySteps, P::kRbCapacity, T::kTick, kExit, 0,
       "the weight lease ran out (`on_lease_expiry: rollback`)"},
      {{P::kCanaryAnalysis}, P::kCanaryStep, T::kTick, kExit, 0, "pass: the next step"},
      {{P::kCanaryVerify, P::kCanaryPause, P::kCanaryAnalysis}, P::kSwitch, T::kTick, kExit, 0,
       "the last step is done (applied, paused, or passed): all traffic to the canary"},
      {{P::kCanaryAnalysis}, P::kCanaryStep, T::kTick, kExit, 0,
       "the weight lease ran out (`on_lease_expiry: resume`): the same step again"},
      {{P::kCanaryAnalysis}, P::kCanaryPause, T::kTick, kExit, 0, "inconclusive at the deadline: state `paused` for a person (the canary at weight 0 with `on_inconclusive: pause_at_zero`)"},
      {{P::kCanaryAnalysis}, P::kRbCapacity, T::kTick, kExit, 0,
       "fail (also while paused by a person), an alarm fires, or inconclusive with `on_inconclusive: rollback`"},
      {{P::kCanaryAnalysis}, P::kRbSwitch, T::kTick, kExit, 0, "the analysis configuration is invalid: ends `failed`"},
      // ---- rollback ----
      {{P::kRbCapacity}, P::kRbSwitch, T::kTick, kMain, 0, "the stable fleet is healthy at full size, or the deadline passed"},
      {{P::kRbSwitch}, P::kRbVerify, T::kTick, kMain, 0, ""},
      {{P::kRbVerify}, P::kRbDrain, T::kTick, kMain, 0, "the weights are applied: state `rolled_back` (or the end state)"},
      {{P::kRbDrain}, P::kRbRetire, T::kTick, kMain, 0, "the new fleet has no request in flight, or `strategy.drain` passed"},
      {{P::kRbRetire}, P::kDone, T::kTick, kMain, 0, ""},
      {{P::kRbRetire}, P::kRbRegions, T::kTick, kExit, 0, "`rollback_all_regions` and earlier regions kept the release"},
      {{P::kRbRegions}, P::kDone, T::kTick, kMain, 0, "the rollback deployment of those regions is recorded"},
      // ---- waves ----
      {{P::kWaveDone}, P::kStart, T::kTick, kMain, 0, "the next region starts"},
      {{P::kWaveDone}, P::kDone, T::kTick, kExit, 0,
       "aborted while the region finished, or the next region's config cannot be read"},
      {{P::kWaveDone}, P::kRbRegions, T::kTick, kExit, 0, "aborted, with `rollback_all_regions`"},
      // ---- people ----
      {{P::kApproval}, P::kQueue, T::kApprove, kExit, 0, "the last approval needed, an older deployment is active"},
      {{P::kApproval}, P::kWindow, T::kApprove, kExit, 0, "the last approval needed, outside the window"},
      {{P::kApproval}, P::kStart, T::kApprove, kExit, 0, "the last approval needed"},
      {{P::kApproval}, P::kDone, T::kReject, kExit, 0, "state `aborted`"},
      {{P::kApproval, P::kQueue, P::kWindow}, P::kDone, T::kAbort, kExit, 0, "not started: state `aborted`"},
      {{P::kDrainPrevious, P::kRetirePrevious, P::kWaveDone}, std::nullopt, T::kAbort, kExit, f::kWaves,
       "the region has switched: the waves stop once it is done"},
      {trafficMoved, P::kRbSwitch, T::kAbort, kExit, f::kPrevious, "traffic may have moved: back to the previous fleet"},
      {running, P::kFailCleanup, T::kAbort, kExit, 0, "traffic never moved (or nothing to go back to)"},
      {canarySteps, P::kSwitch, T::kPromoteNow, kExit, 0, "the remaining canary steps are skipped"},
      {previousWarm, P::kRbSwitch, T::kRollback, kExit, f::kPrevious, "the previous fleet is still warm"},
      {all, P::kDone, T::kDown, kExit, 0, "`ramp down`: state `aborted` unless it had ended"},
      // ---- a provider error ends the phase, the error as the reason: a
      // permanent one at once, any other once the phase has been failing
      // for longer than strategy.deadline (Engine::errorExit) ----
      {{P::kStart, P::kCreateFleet, P::kWaitHealthy, P::kSmokeTest}, P::kFailCleanup, T::kError, kExit, 0,
       "before traffic moved: the new fleet is cleaned up, state `failed`"},
      {trafficMoved, P::kRbCapacity, T::kError, kExit, f::kPrevious,
       "traffic may have moved: back to the previous fleet, state `rolled_back`"},
      {trafficMoved, P::kFailCleanup, T::kError, kExit, f::kNoPrevious, "nothing to go back to: state `failed`"},
      {{P::kFailCleanup, P::kRbCapacity, P::kRbSwitch, P::kRbVerify, P::kRbDrain, P::kRbRetire, P::kRbRegions,
        P::kDrainPrevious, P::kRetirePrevious, P::kWaveDone},
       P::kDone, T::kError, kExit, 0,
       "undoing, or past the switch: ends here (`failed`, `aborted`, or `succeeded` kept), the reason naming the "
       "fleet `ramp down` must retire"},
  };
}

std::string joinPhases(const std::vector<Phase>& v) {
  std::string out;
  for (auto p : v) out += (out.empty() ? "" : ", ") + std::string(phaseName(p));
  return out;
}

}  // namespace

std::string_view triggerName(Trigger t) {
  switch (t) {
    case T::kTick: return "tick";
    case T::kApprove: return "approve";
    case T::kReject: return "reject";
    case T::kAbort: return "abort";
    case T::kPromoteNow: return "promote-now";
    case T::kRollback: return "rollback";
    case T::kDown: return "down";
    case T::kError: return "error";
  }
  return "?";
}

const std::vector<PhaseRow>& PhaseTable::rows() {
  static const std::vector<PhaseRow> rows = buildRows();
  return rows;
}

const std::vector<Phase>& PhaseTable::initialPhases() {
  static const std::vector<Phase> initial{P::kApproval, P::kQueue, P::kStart};
  return initial;
}

bool PhaseTable::allows(Phase from, Phase to) {
  if (from == to) return true;
  for (const auto& r : rows()) {
    if (r.to == to && std::find(r.from.begin(), r.from.end(), from) != r.from.end()) return true;
  }
  return false;
}

Status PhaseTable::check(Phase from, Phase to, const std::string& deploymentId) {
  if (allows(from, to)) return ok();
  return internal(fmt::format("no phase transition from {} to {} (engine/PhaseTable.cpp); not recorded", phaseName(from),
                              phaseName(to)),
                  deploymentId);
}

std::optional<Phase> PhaseTable::target(Phase from, Trigger by, uint32_t facts) {
  for (const auto& r : rows()) {
    if (r.by != by || (r.needs & facts) != r.needs) continue;
    if (std::find(r.from.begin(), r.from.end(), from) == r.from.end()) continue;
    return r.to.value_or(from);
  }
  return std::nullopt;
}

Result<std::vector<Phase>> PhaseTable::mainPath(uint32_t facts) {
  std::vector<Phase> path{P::kStart};
  std::set<Phase> seen{P::kStart};
  while (path.back() != P::kDone && path.back() != P::kWaveDone) {
    std::optional<Phase> next;
    for (const auto& r : rows()) {
      if (r.by != T::kTick || !r.main || (r.needs & facts) != r.needs) continue;
      if (std::find(r.from.begin(), r.from.end(), path.back()) == r.from.end()) continue;
      if (next) {
        return internal(fmt::format("the main path is ambiguous after {}: {} or {}", phaseName(path.back()),
                                    phaseName(*next), phaseName(*r.to)));
      }
      next = *r.to;
    }
    if (!next) return internal(fmt::format("the main path ends at {} before done", phaseName(path.back())));
    if (!seen.insert(*next).second) return internal(fmt::format("the main path loops at {}", phaseName(*next)));
    path.push_back(*next);
  }
  return path;
}

std::string PhaseTable::markdown(Machine m) {
  std::string out = "| phase | side effect | next |\n| --- | --- | --- |\n";
  for (Phase p : allPhases()) {
    if (machineOf(p) != m) continue;
    std::vector<std::string> mains, exits;
    for (const auto& r : rows()) {
      if (r.by != T::kTick || std::find(r.from.begin(), r.from.end(), p) == r.from.end()) continue;
      std::string item(phaseName(*r.to));
      if (!r.when.empty()) item += " (" + std::string(r.when) + ")";
      (r.main ? mains : exits).push_back(item);
    }
    std::string next;
    for (const auto& s : mains) next += (next.empty() ? "" : "; ") + s;
    for (const auto& s : exits) next += (next.empty() ? "" : "; or ") + s;
    if (next.empty()) next = "—";
    out += fmt::format("| {} | {} | {} |\n", phaseName(p), sideEffectOf(p), next);
  }
  return out;
}

std::string PhaseTable::actionsMarkdown() {
  std::string out = "| action | from | to | when |\n| --- | --- | --- | --- |\n";
  for (const auto& r : rows()) {
    if (r.by == T::kTick) continue;
    std::string from = r.from.size() == allPhases().size() ? std::string("any phase") : joinPhases(r.from);
    std::string to = r.to ? std::string(phaseName(*r.to)) : std::string("(stays)");
    out += fmt::format("| {} | {} | {} | {} |\n", triggerName(r.by), from, to, r.when);
  }
  return out;
}

}  // namespace ramp::engine
