// RollbackPhases.h — traffic back to the previous fleet, then the new one
// retired:
//
//   rb_capacity   (automatic rollbacks) the stable fleet must be there and
//                 healthy at full size before it takes all traffic; waits
//                 bounded by strategy.deadline, recorded (rollback.capacity)
//   rb_switch     all traffic to the previous fleet in one data-plane update
//   rb_verify     until the data plane applies it -> rolled_back (or the end
//                 state: aborted, failed)
//   rb_drain      until the new fleet has no request in flight (bounded)
//   rb_retire     the new fleet (and a baseline fleet) retired -> done
//   rb_regions    rollback_all_regions: the rollback deployment of the
//                 regions that kept the release (Engine::rollback's), queued
//                 behind this one, found rather than repeated after a restart
//
// Thread-safety: stateless (PhaseMachine).
#pragma once

#include <memory>

#include "engine/PhaseMachine.h"

namespace ramp::engine {

// The machine: a StepMachine over this file's table of steps.
std::unique_ptr<PhaseMachine> rollbackPhases();

}  // namespace ramp::engine
