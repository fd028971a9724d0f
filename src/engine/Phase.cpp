#include "engine/Phase.h"

#include <ostream>

#include <nlohmann/json.hpp>

namespace ramp::engine {

namespace {

struct PhaseInfo {
  Phase phase;
  std::string_view name;
  Machine machine;
  bool undoing;
  bool samplesBeforeSwitch;
  std::string_view sideEffect;
};

// One row per phase, in declaration order (checked below).
constexpr PhaseInfo kPhases[] = {
    {Phase::kApproval, "approval", Machine::kGates, false, false,
     "none: state `awaiting_approval` until enough distinct people (never the requester) with an allowed role "
     "approve (ApprovalPolicyCheck)"},
    {Phase::kQueue, "queue", Machine::kGates, false, false,
     "none: state `queued` until no older active deployment of the service and environment is left (FIFO)"},
    {Phase::kWindow, "window", Machine::kGates, false, false,
     "none: state `queued` while outside the deployment window or inside a freeze (DeploymentWindow)"},
    {Phase::kStart, "start", Machine::kFleet, false, false,
     "ensure the entry point (router listener); note the stable fleet (blue); state `running`"},
    {Phase::kCreateFleet, "create_fleet", Machine::kFleet, false, true,
     "verify the release digest again; `FleetProvider::createFleet` (green; with `baseline: fresh` also the "
     "baseline fleet)"},
    {Phase::kWaitHealthy, "wait_healthy", Machine::kFleet, false, true,
     "none: reads fleet health until every instance is healthy, or the deadline (absolute time in the record)"},
    {Phase::kSmokeTest, "smoke_test", Machine::kFleet, false, true,
     "runs the configured command against green alone"},
    {Phase::kSwitch, "switch", Machine::kFleet, false, false,
     "holds autoscaling; desired weights green 100, blue 0 (blue drains, keeps its connections)"},
    {Phase::kVerifySwitch, "verify_switch", Machine::kFleet, false, false,
     "none: reads the weights back from the data plane; then green is the stable fleet, scaling released"},
    {Phase::kFailCleanup, "fail_cleanup", Machine::kFleet, true, false,
     "green (and a baseline fleet) out of the plan and retired; traffic never moved to it"},
    {Phase::kDone, "done", Machine::kFleet, false, false, "none: nothing is left to do"},
    {Phase::kBake, "bake", Machine::kBake, false, false,
     "blue stays warm (role `previous`) until `bake_until`; the judge compares green with blue's window before "
     "the switch and the alarms are watched"},
    {Phase::kDrainPrevious, "drain_previous", Machine::kBake, false, false,
     "waits for blue's in-flight requests to reach 0 (bounded by `strategy.drain`), drops it from the plan"},
    {Phase::kRetirePrevious, "retire_previous", Machine::kBake, false, false,
     "stops blue's instances (never a fleet that carries traffic)"},
    {Phase::kCanaryStep, "canary_step", Machine::kCanary, false, true,
     "starts step N: a weight (edits the traffic plan, holds autoscaling), a pause, or an analysis (snapshots "
     "both fleets' counters, arms the deadline)"},
    {Phase::kCanaryVerify, "canary_verify", Machine::kCanary, false, true,
     "none: until the data plane applies the step's weights"},
    {Phase::kCanaryPause, "canary_pause", Machine::kCanary, false, true,
     "none: until the pause ends or a person resumes; the alarms are watched"},
    {Phase::kCanaryAnalysis, "canary_analysis", Machine::kCanary, false, true,
     "every interval the judge compares the canary with the baseline on the counters since the step began"},
    {Phase::kRbCapacity, "rb_capacity", Machine::kRollback, true, false,
     "none: waits (bounded by `strategy.deadline`) until the stable fleet is healthy at full size"},
    {Phase::kRbSwitch, "rb_switch", Machine::kRollback, true, false,
     "holds autoscaling; all traffic back to the previous fleet in one data-plane update"},
    {Phase::kRbVerify, "rb_verify", Machine::kRollback, true, false,
     "none: reads the weights back; then the previous fleet is stable again, scaling released"},
    {Phase::kRbDrain, "rb_drain", Machine::kRollback, true, false,
     "waits for the new fleet's in-flight requests to reach 0 (bounded), drops it from the plan"},
    {Phase::kRbRetire, "rb_retire", Machine::kRollback, true, false,
     "stops the new fleet's (and a baseline fleet's) instances"},
    {Phase::kRbRegions, "rb_regions", Machine::kRollback, true, false,
     "`rollback_all_regions`: starts (or finds, after a restart) the rollback deployment of the regions that "
     "kept the release"},
    {Phase::kWaveDone, "wave_done", Machine::kWaves, false, false,
     "loads the next region's rendered config and resets every per-region field"},
};

static_assert(std::size(kPhases) == kPhaseCount, "one row per Phase");

constexpr bool rowsInOrder() {
  for (size_t i = 0; i < std::size(kPhases); ++i) {
    if (static_cast<size_t>(kPhases[i].phase) != i) return false;
  }
  return true;
}
static_assert(rowsInOrder(), "kPhases rows follow the enum's order");

const PhaseInfo& info(Phase p) { return kPhases[static_cast<size_t>(p)]; }

}  // namespace

const std::array<Phase, kPhaseCount>& allPhases() {
  static const auto all = [] {
    std::array<Phase, kPhaseCount> a{};
    for (size_t i = 0; i < kPhaseCount; ++i) a[i] = kPhases[i].phase;
    return a;
  }();
  return all;
}

const std::array<Machine, kMachineCount>& allMachines() {
  static const std::array<Machine, kMachineCount> all{Machine::kGates,  Machine::kFleet,    Machine::kBake,
                                                      Machine::kCanary, Machine::kRollback, Machine::kWaves};
  return all;
}

std::string_view phaseName(Phase p) { return info(p).name; }

std::string_view machineName(Machine m) {
  switch (m) {
    case Machine::kGates: return "gates";
    case Machine::kFleet: return "bluegreen";
    case Machine::kBake: return "bake";
    case Machine::kCanary: return "canary";
    case Machine::kRollback: return "rollback";
    case Machine::kWaves: return "waves";
  }
  return "?";
}

Result<Phase> parsePhase(std::string_view name, const std::string& where) {
  for (const auto& row : kPhases) {
    if (row.name == name) return row.phase;
  }
  std::string known;
  for (const auto& row : kPhases) known += (known.empty() ? "" : ", ") + std::string(row.name);
  return invalid("unknown phase '" + std::string(name) + "' (known phases: " + known + ")", where);
}

Machine machineOf(Phase p) { return info(p).machine; }
std::string_view sideEffectOf(Phase p) { return info(p).sideEffect; }
bool isUndoing(Phase p) { return info(p).undoing; }
bool samplesBeforeSwitch(Phase p) { return info(p).samplesBeforeSwitch; }

void to_json(nlohmann::json& j, Phase p) { j = std::string(phaseName(p)); }

std::ostream& operator<<(std::ostream& out, Phase p) { return out << phaseName(p); }

}  // namespace ramp::engine
