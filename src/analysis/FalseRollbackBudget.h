// FalseRollbackBudget.h — one budget for false rollbacks over a whole
// deployment.
//
// `analysis.max_false_rollback` bounds the probability that a healthy canary
// (no metric worse than its baseline) is rolled back by ANY metric at ANY
// look of ANY analysis of one deployment: every canary analysis step, the
// bake after the last switch, in every region of the waves, including the
// looks the judge keeps taking while a deployment waits for a person.
//
// Why the split below keeps that promise: a rollback on evidence is one
// metric's test crossing its fail boundary in one analysis. Each test is
// valid under continuous monitoring at its own level a (the error-rate test
// is a test supermartingale, Ville's inequality; the latency test uses a
// confidence sequence), so however often it looks, P(it ever crosses on a
// healthy canary) <= a. By the union bound over the metrics × analyses
// tests, P(any crosses) <= metrics × analyses × a = max_false_rollback when
//   a = max_false_rollback / (metrics × analyses).
// Every metric counts, critical or not (a non-critical failure can still sink
// the score below marginal_score). Rollbacks by policy (on_inconclusive:
// rollback at a deadline, an alarm, a person) are not evidence and are not in
// the budget.
#pragma once

namespace ramp::analysis {

struct FalseRollbackBudget {
  double total = 0.01;  // max_false_rollback
  int metrics = 1;      // metrics that can fail a verdict
  int analyses = 1;     // analyses in the deployment (steps + bake, × regions)

  // The level of one metric's test in one analysis (>= 1 of each assumed).
  double perTest() const;
};

}  // namespace ramp::analysis
