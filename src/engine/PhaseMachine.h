// PhaseMachine.h — one strategy's state machine: it runs the current phase
// of a deployment (one of its Machine's phases, Phase.h) once over a
// RunContext and returns the Transition. Implementations: GatePhases,
// BlueGreenPhases (blue/green and the phases every strategy shares), BakePhases,
// CanaryPhases, RollbackPhases, WavePhases.
//
// Contract: the side effect of the phase being run is idempotent (a run may
// be repeated after a crash or a lost commit); a run never waits on a
// person or a timer (it returns wait() and is run again on a later tick);
// every move it returns is a row of PhaseTable. Errors: a provider's or the
// store's failure is returned as is (the phase is retried on the next tick;
// a permanent provider error ends the phase by its error exit, Engine).
//
// Thread-safety: stateless; run() may be called from any thread, one call
// per deployment at a time.
#pragma once

#include "core/Result.h"
#include "engine/RunContext.h"
#include "engine/Transition.h"

namespace ramp::engine {

class PhaseMachine {
 public:
  virtual ~PhaseMachine() = default;
  virtual Result<Transition> run(RunContext& ctx) = 0;
};

}  // namespace ramp::engine
