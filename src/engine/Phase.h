// Phase.h — where a deployment is inside its state machine, as a type.
//
// One `Phase` type for every strategy, not one per strategy: the strategies
// share phases (a canary creates and health-checks its fleet with the same
// phases as a blue/green, ends with the same switch and bake, and any of
// them hands over to the same rollback phases), a deployment record holds
// exactly one phase, and the crash rule (a phase is committed before its side
// effect) is checked at one place for all of them. Each phase belongs to one
// `Machine` — the code that runs it and the table in the docs that lists
// it; which phase may follow which is PhaseTable.h.
//
// Persisted and shown (records, audit events, the API, RAMP_FAILPOINT) as its
// name: the snake_case string the engine always wrote ("create_fleet",
// "rb_switch", ...), so records written before phases were typed still load.
// A name that is not a phase is an error naming it and the known ones.
#pragma once

#include <array>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "core/Result.h"

namespace ramp::engine {

enum class Phase : uint8_t {
  // Gates (GatePhases.cpp): before a deployment starts.
  kApproval,
  kQueue,
  kWindow,
  // The fleet phases every strategy shares (BlueGreenPhases.cpp).
  kStart,
  kCreateFleet,
  kWaitHealthy,
  kSmokeTest,
  kSwitch,
  kVerifySwitch,
  kFailCleanup,
  kDone,
  // After the switch: the previous fleet kept warm, then retired (BakePhases.cpp).
  kBake,
  kDrainPrevious,
  kRetirePrevious,
  // Canary steps (CanaryPhases.cpp).
  kCanaryStep,
  kCanaryVerify,
  kCanaryPause,
  kCanaryAnalysis,
  // Rollback (RollbackPhases.cpp).
  kRbCapacity,
  kRbSwitch,
  kRbVerify,
  kRbDrain,
  kRbRetire,
  kRbRegions,
  // Regions in waves (WavePhases.cpp).
  kWaveDone,
};

inline constexpr size_t kPhaseCount = static_cast<size_t>(Phase::kWaveDone) + 1;

// Every phase, in declaration order.
const std::array<Phase, kPhaseCount>& allPhases();

// The state machine a phase belongs to: the code that runs it and its table
// in docs/deployments.md.
enum class Machine : uint8_t { kGates, kFleet, kBake, kCanary, kRollback, kWaves };

inline constexpr size_t kMachineCount = static_cast<size_t>(Machine::kWaves) + 1;
const std::array<Machine, kMachineCount>& allMachines();

std::string_view phaseName(Phase p);
std::string_view machineName(Machine m);  // "gates", "bluegreen", "bake", "canary", "rollback", "waves"
// The phase called `name`; kInvalid naming `where` and every known phase otherwise.
Result<Phase> parsePhase(std::string_view name, const std::string& where = "phase");

Machine machineOf(Phase p);
// What the phase does when it runs (the docs' "side effect" column).
std::string_view sideEffectOf(Phase p);

// Facts about a phase the engine asks (each one a property of the phase, so
// no code compares phase names):
// approval | queue | window: the deployment has not started.
inline bool isGate(Phase p) { return machineOf(p) == Machine::kGates; }
// rb_* and fail_cleanup: the deployment is being undone (controls refused).
bool isUndoing(Phase p);
// canary_*: the canary's steps (promote-now applies).
inline bool isCanaryStep(Phase p) { return machineOf(p) == Machine::kCanary; }
// Phases before the switch in which the previous fleet's counters are
// sampled for the bake's judge (BakePhases::sampleBeforeSwitch).
bool samplesBeforeSwitch(Phase p);

// JSON and streams show the name.
void to_json(nlohmann::json& j, Phase p);
std::ostream& operator<<(std::ostream& out, Phase p);

}  // namespace ramp::engine
