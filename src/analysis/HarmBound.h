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
// The same rule for latency (LatencyPolicy::deadlineTolerance, ramp.yaml
// `latency_deadline_tolerance`): the Mann–Whitney test (LatencyTest.h) passes
// only once its confidence-sequence interval of the shift is inside
// latency_tolerance, which at a few canary requests a second may take
// longer than the step. At the deadline an undecided latency metric passes
// when distribution-free bounds on the medians rule out a stated harm:
//
//   t = deadline_tolerance, s = min_shift_ms, H(x) = max(x·(1 + t), x + s)
//   U_c  upper (1 − a) bound of the canary's median: its k-th smallest value
//        (the top of its bucket for a histogram), k the smallest rank with
//        P(Binomial(m, 1/2) <= k − 1) >= 1 − a (upperRank); then
//        P(U_c < ξ_c) <= P(Binomial(m, 1/2) >= k) <= a for the true median ξ_c
//        (order statistics: exact for any continuous or discrete distribution);
//   L_b  lower (1 − a) bound of the baseline's median, likewise from below
//        (lowerRank: the largest j with P(Binomial(n, 1/2) <= j − 1) <= a);
//   pass (direction increase) when U_c < H(L_b).
// Guarantee: if ξ_c >= H(ξ_b) (the canary's median slower than the baseline's
// by more than the tolerance and the floor), a pass needs U_c < ξ_c or
// L_b > ξ_b (H rises), so P(pass) <= 2a = β/4 with a = β/8
// (JudgeConfig::latencyDeadlineLevel). Direction decrease mirrors it
// (L_c > H⁻(U_b), H⁻(x) = min(x/(1 + t), x − s)); either needs both.
// Histogram buckets make the bounds conservative by up to one bucket's width
// on each side (the router's are 5% wide). The sequential latency test and
// the fail side are untouched: a canary shown slower is still rolled back.
//
// Pure: counts in, a value out; the caller applies it at the final look.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "analysis/JudgeConfig.h"
#include "analysis/LatencySample.h"
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

struct LatencyHarm {
  static constexpr double kQuantile = 0.5;  // the medians are compared
  bool applies = false;       // deadline_tolerance > 0 (the rule is on)
  bool enoughSamples = false;  // >= min_samples on each side
  bool pass = false;
  Direction direction = Direction::kIncrease;
  double level = 0;           // a: each bound's error probability
  double limitRatio = 0;      // 1 + deadline_tolerance
  double minShiftMs = 0;
  // Increase: U_c, L_b and the limit H(L_b); decrease: L_c, U_b and H⁻(U_b).
  double canaryUpperMs = NAN, baselineLowerMs = NAN, limitUpMs = NAN;
  double canaryLowerMs = NAN, baselineUpperMs = NAN, limitDownMs = NAN;

  nlohmann::json toJson() const;
  // "canary median at most 23.1 ms vs limit 26.4 ms (baseline median at least 17.6 ms, x1.5 or +1 ms) (98.75% bounds each)"
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

  // Ranks of the distribution-free bounds of the q-quantile of n values:
  // upperRank the smallest k with P(Binomial(n, q) <= k - 1) >= 1 - a (n + 1
  // when even the largest value is not enough), lowerRank the largest j with
  // P(Binomial(n, q) <= j - 1) <= a (0 when none).
  static uint64_t upperRank(uint64_t n, double q, double a);
  static uint64_t lowerRank(uint64_t n, double q, double a);
  // The bounds in ms: the top of the upperRank-th value's range (+inf when
  // none), the bottom of the lowerRank-th value's range (0 when none).
  static double quantileUpperMs(const LatencySample& s, double q, double a);
  static double quantileLowerMs(const LatencySample& s, double q, double a);
  // The latency rule at the deadline, for the samples of the whole analysis.
  static LatencyHarm latency(const LatencySample& canary, const LatencySample& baseline, const LatencyPolicy& policy,
                             Direction direction, double level);
};

}  // namespace ramp::analysis
