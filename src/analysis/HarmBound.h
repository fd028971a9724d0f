// HarmBound.h — what an analysis step does at its deadline when there is no
// evidence of harm: the bounded-harm rule for the error rate.
//
// The sequential test (ErrorRateTest.h) passes early only on evidence that
// the canary is not ×min_increase worse, which at tens of canary requests a
// second takes longer than a step's deadline for a service with errors. At
// the deadline (the judge's `final` look) an undecided error-rate metric
// passes when the data rule out harm of a stated size:
//
//   harm limit  L = max(p_b · (1 + tolerance), objective)
//   pass  when the one-sided (1 − a) upper bound on the canary's error rate
//         is below L, by either route (each at level a):
//     ratio      conditional on the E = e_c + e_b errors of both fleets the
//                canary's errors are Binomial(E, θ(r)), θ(r) = r·n_c/(r·n_c + n_b)
//                (exact for Poisson errors; ErrorRateTest.h for binomial
//                requests), so the Clopper–Pearson upper bound θ_U of e_c/E
//                gives r_U = θ_U/(1 − θ_U) · n_b/n_c, and P(r_U < r) ≤ a for
//                the true ratio r: pass when r_U < 1 + tolerance;
//     objective  the canary alone: e_c ~ Binomial(n_c, p_c), Clopper–Pearson
//                upper bound U_c, P(U_c < p_c) ≤ a: pass when U_c < objective
//                (only when objective > 0).
//   and only with >= min_requests on each side (the bound is exact at any
//   count; the minimum keeps a pass from resting on a handful of requests).
//
// Guarantee: a canary whose error rate is at least L (worse than the
// baseline by the factor 1 + tolerance AND above the objective) passes a
// step through this rule with probability ≤ (routes) × a = β/2, and through
// either this rule or the sequential pass (whose threshold becomes 2/β when
// the rule is on, ErrorRatePolicy::sequentialBeta) with probability ≤ β =
// max_false_pass. Harm smaller than L can pass: L is the largest harm a
// passing canary can hide, stated by the user (error_rate_tolerance) and
// shown in the verdict. The fail side is untouched: a canary with evidence
// of harm is still rolled back, before or at the deadline.
//
// Not in L: "baseline + min_error_rate" (min_error_rate stays the fail
// side's relevance gate): an additive route would need a third share of β
// for what the objective already covers for services with few errors.
//
// Pure: counts in, a value out; the caller applies it at the final look.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "analysis/JudgeConfig.h"
#include "analysis/Measurements.h"

namespace ramp::analysis {

struct ErrorRateHarm {
  bool applies = false;      // tolerance > 0 (the rule is on)
  bool enoughTraffic = false;
  bool pass = false;
  std::string route;         // "ratio" | "objective" | "" (no pass)
  double level = 0;          // a: each route's error probability
  double limitRatio = 0;     // 1 + tolerance
  double objective = 0;
  double ratioUpper = std::numeric_limits<double>::infinity();  // r_U
  double rateUpper = NAN;    // U_c (NaN: not computed, the observed rate is past the objective)
  double baselineRate = 0;   // e_b / n_b (for the sentence; the limit in rate terms is limitRatio × p_b)

  nlohmann::json toJson() const;
  // "canary error rate below 2.31× the baseline's (95% upper bound) < 2.5× (error_rate_tolerance)"
  std::string sentence() const;
};

class HarmBound {
 public:
  // Clopper–Pearson one-sided upper bound: the p with P(Binomial(n, p) <= k) = a
  // (1 when k >= n). Exact up to the bisection (1e-12).
  static double binomialUpper(uint64_t k, uint64_t n, double a);
  // One-sided (1 - a) upper bound of the canary/baseline error-rate ratio,
  // conditional on the errors of both fleets; infinity without errors.
  static double ratioUpper(const ErrorCounts& canary, const ErrorCounts& baseline, double a);
  // The rule at the deadline, for cumulative counts of the whole analysis.
  static ErrorRateHarm errorRate(const ErrorCounts& canary, const ErrorCounts& baseline, const ErrorRatePolicy& policy);
};

}  // namespace ramp::analysis
