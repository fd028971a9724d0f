// ExampleReport.h — judge_sim --example: whole deployments of a shipped
// example's canary (its rendered steps, bake and analysis block) at several
// total request rates and service error rates, healthy and with x5 errors.
//
// Reports per (total rate, service error rate):
//   healthy: deployments that passed every analysis step without a person,
//            that needed a person (an inconclusive step), false rollbacks on
//            evidence over the whole deployment (any metric, any step, any
//            look, paused looks and bake included) against max_false_rollback,
//            the median/p95 of each step's time to a pass and of the whole
//            deployment (person delays included);
//   x5 errors (service error rate > 0): caught %, seconds from the start of
//            the first analysis to the rollback (median, p95);
//   deadline: healthy deployments with a step passed at its deadline by the
//            bounded-harm rule (src/analysis/HarmBound.h);
//   harm table: canaries erring k × the service's rate: promoted without a
//            person (every step passed), rolled back, needed a person.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ramp::bench {

struct ExampleOptions {
  std::string configPath;                 // ramp.yaml or its directory
  std::string service = "crawler";
  std::string env = "prod";
  std::vector<double> totals{20, 100, 1000};
  std::vector<double> errorRates{0, 0.001, 0.01};
  int runs = 1000;
  uint64_t seed = 20260101;
  double personDelayS = 300;
  double medianMs = 50, sigma = 0.5;
  // Canaries worse than the service by these factors (errors): how often a
  // harmful canary is promoted without a person (the bounded-harm rule's
  // guarantee, measured). Empty: none.
  std::vector<double> harms{1.5, 2, 2.5, 3};
  // Overrides the example's analysis.error_rate_tolerance (< 0: keep it).
  double tolerance = -1;
};

int runExampleReport(const ExampleOptions& options);

}  // namespace ramp::bench
