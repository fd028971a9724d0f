// CanaryPhases.h — the steps of a canary deployment, after the canary fleet
// is healthy (BlueGreenPhases creates it):
//
//   canary_step      start step N: a weight (edit the traffic plan), a pause
//                    (timed, or until a person resumes), or an analysis
//                    (snapshot both fleets' counters, arm the deadline)
//   canary_verify    until the data plane applies the step's weights
//   canary_pause     until the pause ends (or `ramp resume`)
//   canary_analysis  every interval: the judge compares canary with baseline
//                    on the counters since the step began; pass -> next step,
//                    fail -> rollback, inconclusive at the deadline ->
//                    on_inconclusive: pause for a person (the default),
//                    pause_at_zero (the canary's weight goes to 0 until a
//                    person resumes, which restores it), or rollback
// While a deployment waits for a person during or after an analysis (an
// inconclusive step, or `ramp pause` in canary_analysis), the judge keeps
// looking at the same analysis (watchPaused): evidence of harm still rolls
// back by itself; a pass only shows in the verdict (a person decides).
// After the last step the canary takes all traffic through the shared
// switch / verify_switch and the bake. A failing verdict hands over to the
// rollback phases (RollbackPhases).
//
// The analysis step's deadline is decided FIRST in every look, ahead of
// every early return: at or after it, nothing (an unreadable metric, an
// alarm source that does not answer, an invalid config) keeps the step
// open — the error becomes the inconclusive verdict's reason.
//
// The baseline is the stable fleet, or with `strategy.baseline: fresh` a
// new fleet of the stable release at the canary's size and weight.
// Counters are cumulative, so the judge sees only the differences from the
// snapshot taken when the analysis step began, the router's through a
// CounterWindow per fleet that re-bases when they restart (a router
// restart: event analysis.restart). A look that cannot be made before the
// deadline says why in the reason (event analysis.blind, once per reason)
// and waits for the next look. Metrics read from a query
// server (analysis.metrics[].prometheus, EngineParts::queries) are
// snapshotted the same way, each fleet's queries filled with its fleet id
// and release.
//
// A crash loop fails the step whatever the error rate: the router retries a
// refused connection on another instance (and then on the stable fleet),
// so a canary whose instances keep exiting can show users, and the judge,
// only a few failed requests — until it holds all traffic. When the
// canary fleet's instances have restarted kCrashLoopRestarts times or more
// since the analysis step began (the fleet provider's per-instance restart
// counts), the step fails with that reason (like ECS's deployment circuit
// breaker); one restart (a killed instance, a host hiccup) never does.
//
// Canary splits name the stable fleet and are held under the weight lease
// (strategy.weight_lease, engine/WeightLease.h): leaseRanOut() finds a lease
// the data plane let run out while the controller was away and acts by
// strategy.on_lease_expiry.
//
// Thread-safety: stateless (PhaseMachine).
#pragma once

#include <optional>

#include "engine/PhaseMachine.h"

namespace ramp::engine {

struct CanarySnapshot;

class CanaryPhases final : public PhaseMachine {
 public:
  Result<Transition> run(RunContext& ctx) override;
  // While a person decides (state paused in canary_analysis, or in the
  // canary_pause of an inconclusive step): the judge keeps looking every
  // step interval; evidence of harm rolls back (the move to rb_capacity);
  // anything else only updates the latest verdict (save). nullopt = not
  // watching, or not yet time to look. A look that fails is saved (its
  // next look at the next interval) and otherwise ignored.
  static Result<std::optional<Transition>> watchPaused(RunContext& ctx);
  // Before anything else in a canary phase (paused too): when the data
  // plane let this canary's weight lease run out, acts by
  // strategy.on_lease_expiry — rollback (the move to rb_capacity; the data
  // plane already sends everything to the stable fleet), or resume (the
  // held split is put back, event traffic.lease_resumed, and the current
  // step starts again: canary_analysis moves to canary_step, another phase
  // saves its reason). nullopt = the lease did not run out.
  static Result<std::optional<Transition>> leaseRanOut(RunContext& ctx);

 static constexpr int kCrashLoopRestarts = 3;

 private:
  // The restarts of fleet `id`'s current instances (the provider's counts;
  // nullopt when it cannot say).
  static std::optional<int> restartsOf(RunContext& ctx, const std::string& id);
  static Result<Transition> step(RunContext& ctx);
  static Result<Transition> verify(RunContext& ctx);
  static Result<Transition> pause(RunContext& ctx);
  static Result<Transition> analyse(RunContext& ctx);
  // Step d.step is done: the next step (canary_step), or after the last
  // one the final switch. The one place the counter moves, so a committed
  // record never shows a step past the last (step <= steps).
  static Transition nextStep(RunContext& ctx, nlohmann::json data = nlohmann::json::object());
  // The end of an analysis step whose verdict is not "continue".
  static Result<Transition> decide(RunContext& ctx, analysis::Verdict verdict, const CanarySnapshot& snap);
};

}  // namespace ramp::engine
