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
//            the first analysis to the rollback (median, p95).
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
};

int runExampleReport(const ExampleOptions& options);

}  // namespace ramp::bench
