// PhaseMachine.h — one strategy's state machine: it runs the current phase
// of a deployment (one of its Machine's phases, Phase.h) once over a
// RunContext and returns the Transition. Implementations: GatePhases,
// BlueGreenPhases (blue/green and the phases every strategy shares), BakePhases,
// CanaryPhases, RollbackPhases, WavePhases; BlueGreenPhases and RollbackPhases
// are only their tables of steps (a StepMachine each).
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

#include <span>
#include <string_view>

#include "core/Result.h"
#include "engine/RunContext.h"
#include "engine/Transition.h"

namespace ramp::engine {

class PhaseMachine {
 public:
  virtual ~PhaseMachine() = default;
  virtual Result<Transition> run(RunContext& ctx) = 0;
};

// One phase of a machine and the function that runs it.
struct PhaseStep {
  Phase phase;
  Result<Transition> (*run)(RunContext& ctx);
};

// Runs the step of ctx.d.phase among STEPS (a machine's run()). A phase not
// among them is a bug: an internal error "phase P is not a MACHINE phase".
Result<Transition> runStep(RunContext& ctx, std::span<const PhaseStep> steps, std::string_view machine);

// A machine that is nothing but its steps (blueGreenPhases(),
// rollbackPhases()): run() is runStep over them. `steps` and `machine`
// must outlive it (a machine's static table and a literal).
class StepMachine final : public PhaseMachine {
 public:
  StepMachine(std::span<const PhaseStep> steps, std::string_view machine) : steps_(steps), machine_(machine) {}
  Result<Transition> run(RunContext& ctx) override { return runStep(ctx, steps_, machine_); }

 private:
  std::span<const PhaseStep> steps_;
  std::string_view machine_;
};

}  // namespace ramp::engine
