// BakePhases.h — after the switch: the previous fleet kept warm while the
// judge and the alarms watch the new one, then drained and retired.
//
//   bake             blue stays warm (role previous) until bake_until; the
//                    judge compares green (all traffic since the switch)
//                    with blue's own measurements from a window of (up to)
//                    the bake's length just BEFORE the switch, when blue
//                    carried the traffic (docs/decisions.md says why this
//                    baseline); the alarms are watched
//   drain_previous   until blue has no request in flight (bounded by
//                    strategy.drain), then it leaves the plan
//   retire_previous  blue's instances are stopped -> done (or wave_done)
//
// sampleBeforeSwitch() keeps a few snapshots of blue's cumulative counters
// while the deployment runs (the engine calls it before the phases that
// PhaseTable marks samplesBeforeSwitch); fixWindow() picks the window at
// the switch. A failing verdict or a firing alarm rolls back through the
// rollback phases. The switch has already promoted green, so an
// inconclusive verdict at the end of the bake (too little traffic) is
// recorded and blue is retired as planned, unless analysis.on_inconclusive
// is "rollback". Alarms whose state is still unknown at the end follow
// on_inconclusive: rollback, or pause for a person with blue kept ready
// (resume retires it, rollback switches back).
//
// Thread-safety: stateless (PhaseMachine).
#pragma once

#include "engine/PhaseMachine.h"

namespace ramp::engine {

class BakePhases final : public PhaseMachine {
 public:
  Result<Transition> run(RunContext& ctx) override;

  // Before the switch: one more sample of blue's counters when due (saves
  // the record). Best effort: a failed read is tried again next time.
  static Status sampleBeforeSwitch(RunContext& ctx);
  // At the switch: the judge's window (or why the bake is watched by alarms
  // only, with an audit event). Does not save: the switch's move does.
  static Status fixWindow(RunContext& ctx);

 private:
  static Result<Transition> bake(RunContext& ctx);
  // The judge and the alarms during the bake: a transition when the
  // deployment moved on (rolled back, or paused for a person).
  static Result<std::optional<Transition>> watch(RunContext& ctx);
  static Result<Transition> drainPrevious(RunContext& ctx);
  static Result<Transition> retirePrevious(RunContext& ctx);
};

}  // namespace ramp::engine
