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
// Likelihood ratios, each a product over looks of per-interval factors whose
// alternative is fixed *before* the interval's data is seen (predictable), so
// each product is a nonnegative supermartingale under its null and Ville's
// inequality gives P(ever >= 1/a) <= a however many looks are taken:
//   fail (method plugin): adaptive plug-in SPRT (Robbins &
//           Siegmund 1974). At each look the alternative is
//             r_hat = ((ec + 1/2)/nc) / ((eb + 1/2)/nb)   (cumulative counts
//           of the previous looks; 2*min_increase before any data), clipped
//           to [min_increase, largest alternative]. Under H0 (r <= 1) each
//           factor has conditional expectation <= 1 because r_hat >= 1 is
//           fixed before the interval (the factor's mean
//           (theta t1/t0 + (1-theta)(1-t1)/(1-t0))^E increases with theta and
//           equals 1 at theta = t0).
//   fail (method mixture, the default): mean over the ratios r_k of the grid, weights 1/K,
//           of prod theta(r_k)^ec (1-theta(r_k))^eb / (theta(1)^ec (1-theta(1))^eb)
//   Either way: fail when LR_fail >= 1/alpha (and the canary's rate >=
//           min_error_rate and above the baseline's, relevance gates that
//           only make failing harder). Both are always computed and reported.
//   pass:   LR_pass = theta(1) vs theta(minIncrease) (a supermartingale
//           whenever r >= minIncrease)
//   floor:  the objective route: canary alone, Bernoulli rate q against the
//           objective d (error_rate.objective, the absolute bound the user
//           states), q the plug-in (e + 1/2)/(n + 1) of the previous looks
//           clipped to [d/1000, d/4] (d/4 before any data): a supermartingale
//           whenever the canary's rate is >= d, so a service with no errors
//           at all can pass ("error rate <= d with confidence 1 - beta").
//           objective 0 turns this route off.
//   The pass routes are combined into one e-value
//           E_pass = w LR_pass + (1 - w) LR_floor,  w = kPassWeight = 1/2,
//           a supermartingale on the pass's null (canary worse by >=
//           minIncrease AND its rate >= the objective); pass when
//           E_pass >= 1/beta. w is fixed before any data (a mixture of the two
//           routes' products): whichever route the service's data favours
//           pays log 2 for not knowing it in advance. (Before: w = 0.8 with
//           the floor at min_error_rate, which made a zero-error canary wait
//           for ~4,800 requests.)
//   The fail side's relevance gate (rate >= min_error_rate) and the pass
//   side's objective are separate: "a rate this low is never a regression"
//   and "a rate this low is good enough to pass" are different statements.
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
#include "analysis/MetricForecast.h"
#include "analysis/MetricResult.h"
#include "core/Result.h"

namespace ramp::analysis {

struct ErrorRateState {
  std::vector<double> logLrAlt;    // per grid ratio, log LR against r = 1
  double logLrPlugIn = 0;          // log LR of the plug-in SPRT against r = 1
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
  // Weight of the ratio route in the pass e-value (the floor route, i.e. the
  // objective, gets 1 - w); without an objective the ratio route is alone.
  static constexpr double kPassWeight = 0.5;
  static double passWeight(const ErrorRatePolicy& policy);
  // log(w e^logLrPass + (1 - w) e^logLrFloor), computed without overflow.
  static double logPassEvidence(double logLrPass, double logLrFloor, double w);
  // More canary requests to a pass / a fail if the rates so far continue
  // (MetricForecast.h); from the state after a look.
  static MetricForecast forecast(const ErrorRateState& state, const ErrorRatePolicy& policy);
  // The plug-in alternative for the next interval, from the cumulative counts
  // of the looks before it.
  static double plugInRatio(const ErrorCounts& canarySeen, const ErrorCounts& baselineSeen,
                            const ErrorRatePolicy& policy);
  // The floor route's alternative rate for the next interval.
  static double floorRate(const ErrorCounts& canarySeen, const ErrorRatePolicy& policy);
  // The per-interval log-likelihood ratio of ratio r1 against r0 (exposed for tests).
  static double intervalLogLr(double r0, double r1, const ErrorCounts& canaryDelta,
                              const ErrorCounts& baselineDelta);
};

}  // namespace ramp::analysis
