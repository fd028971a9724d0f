// BlueGreenPhases.h — the phases of a blue/green (and all-at-once)
// deployment that every strategy shares: a canary creates and
// health-checks its fleet with them and ends with their switch.
//
//   start            ensure the entry point; note the current stable fleet (blue)
//   create_fleet     verify the release digest; create the green fleet
//   wait_healthy     until every green instance is healthy, or the deadline
//   smoke_test       optional command against green alone
//   switch           desired weights: green 100, blue 0 (blue drains)
//   verify_switch    until the data plane reports exactly that -> succeeded
//   fail_cleanup     green is retired, traffic never moved -> failed
//   done             nothing left
// After verify_switch: BakePhases (bake, drain_previous, retire_previous).
// Across regions (WavePhases) a region that is not the last one does not
// end the deployment at verify_switch: it bakes, retires its previous fleet
// and goes to wave_done. The rows: PhaseTable.cpp, "bluegreen".
//
// Thread-safety: stateless (PhaseMachine).
#pragma once

#include <memory>

#include "engine/PhaseMachine.h"

namespace ramp::engine {

// The machine: a StepMachine over this file's table of steps.
std::unique_ptr<PhaseMachine> blueGreenPhases();

}  // namespace ramp::engine
