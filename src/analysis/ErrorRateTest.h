// ErrorRateTest.h — sequential test of the canary's error rate against the
// baseline's, valid under continuous monitoring (look as often as you like).
//
// Model: within one update interval, given the total number of errors E of
// both fleets, each error is the canary's with probability
//   theta(r) = r*nc / (r*nc + nb)      (r = canary rate / baseline rate)
// (exact for Poisson errors; for binomial requests the conditional law is
// hypergeometric, which Hoeffding 1963 §6 shows is dominated in convex order,
// so every likelihood ratio below stays a supermartingale under H0 and the
// bounds hold). nc, nb are the interval's requests.
//
// Three likelihood ratios, each a product over intervals (Wald 1945; Ville's
// inequality makes P(ever >= 1/a) <= a under its null):
//   fail:   mixture over the ratios r_k of the grid, weights 1/K,
//           LR_fail = mean_k prod theta(r_k)^ec (1-theta(r_k))^eb / (theta(1)^ec (1-theta(1))^eb)
//           fail when LR_fail >= 1/alpha  (and the canary's rate >= min_error_rate,
//           a relevance gate that only makes failing harder)
//   pass:   LR_pass = theta(1) vs theta(minIncrease): pass when >= 2/beta
//   floor:  canary alone, Bernoulli rate q = min_error_rate/4 against
//           min_error_rate: pass when >= 2/beta (so a service with no errors
//           at all can pass; the two pass routes share beta)
// A pass needs >= min_requests on each side. A fail is final; a pass can
// still be overturned by a later fail (the fail bound covers all looks).
//
// State is a plain value (toJson/fromJson) that the caller keeps between
// looks; inputs are cumulative counts since the analysis began.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/JudgeConfig.h"
#include "analysis/Measurements.h"
#include "analysis/MetricResult.h"
#include "core/Result.h"

namespace ramp::analysis {

struct ErrorRateState {
  std::vector<double> logLrAlt;    // per grid ratio, log LR against r = 1
  double logLrPass = 0;            // log LR of r = 1 against r = minIncrease
  double logLrFloor = 0;           // log LR of rate q against min_error_rate (canary alone)
  ErrorCounts canarySeen;          // cumulative counts at the last look
  ErrorCounts baselineSeen;
  int decision = 0;                // 0 none, +1 pass, -1 fail (latched)
  uint64_t looks = 0;

  nlohmann::json toJson() const;
  static Result<ErrorRateState> fromJson(const nlohmann::json& j, const std::string& where);
};

class ErrorRateTest {
 public:
  struct Outcome {
    ErrorRateState state;
    MetricResult result;           // classification, reason, stats
  };
  // One look with cumulative counts. Counts that go backwards, or errors
  // above requests, are invalid input (where names the side).
  static Result<Outcome> look(ErrorRateState state, const ErrorCounts& canary,
                              const ErrorCounts& baseline, const ErrorRatePolicy& policy,
                              const MetricSpec& spec);
  // The per-interval log-likelihood ratio of ratio r against 1 (exposed for tests).
  static double intervalLogLr(double r0, double r1, const ErrorCounts& canaryDelta,
                              const ErrorCounts& baselineDelta);
};

}  // namespace ramp::analysis
