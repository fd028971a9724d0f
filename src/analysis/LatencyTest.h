// LatencyTest.h — canary latency against baseline latency: Mann–Whitney U
// with a relative tolerance, safe under repeated looks.
//
// Classification at a look with confidence c_k (CI of the log-ratio
// canary/baseline from MannWhitney, t = log(1 + tolerance)):
//   high  CI lower > +t      (significantly slower by more than the tolerance)
//   low   CI upper < -t      (significantly faster by more than the tolerance)
//   pass  CI inside the region allowed by the direction (increase: upper < t;
//         decrease: lower > -t; either: both)
//   inconclusive otherwise; nodata when either side has < min_samples.
// Early exit: every value of both sides in one tied group (one bucket) → pass.
//
// Repeated looks (sequential driver), two boundaries (latency.boundary):
//  - mixture (default): Robbins' normal-mixture boundary. If the standardized
//    Mann–Whitney statistic behaves as S_m / sqrt(m) for a Gaussian random
//    walk S in the canary sample size m (it does asymptotically: U's Hájek
//    projection is a sum of independent terms, and the baseline grows in
//    proportion), then M_m = sqrt(rho/(m+rho)) exp(S_m^2 / (2(m+rho))) is a
//    nonnegative martingale (a N(0, 1/rho) mixture of exp(l S - l^2 m/2)),
//    and by Ville P(ever M >= 1/a) <= a. M >= 1/a is |z| >= z_b(m) with
//      z_b(m) = sqrt((1 + rho/m) (log(1 + m/rho) + 2 log(1/a))),  a = 1 - confidence.
//    The confidence interval at every look uses z_b(m), so the intervals form
//    a confidence sequence: the probability that ANY look ever classifies
//    wrongly is at most 1 - confidence (up to the normal approximation the
//    Mann–Whitney p-value itself makes), with no cost per look. rho is set so
//    that z_b is smallest at m = mixture_samples.
//  - spending: look k happens only when the canary's sample has grown by
//    look_growth since the previous one, and spends
//      alpha_k = (1 - confidence) / (k (k + 1)),   sum over all k = 1 - confidence,
//    so by Bonferroni the probability of ever crossing a wrong boundary is at
//    most 1 - confidence.
// Decisions latch; a later "high" still overturns an earlier "pass". A
// one-shot judgement (sequential = false) is a single look at the full
// confidence.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "analysis/JudgeConfig.h"
#include "analysis/Measurements.h"
#include "analysis/MetricForecast.h"
#include "analysis/MetricResult.h"
#include "core/Result.h"

namespace ramp::analysis {

struct LatencyState {
  uint32_t lastLook = 0;   // index k of the last look (0 = none yet; mixture: number of looks)
  int decision = 0;        // 0 none, +1 pass, -1 fail (latched)
  int latched = 0;         // the Classification that was latched
  nlohmann::json toJson() const {
    return {{"last_look", lastLook}, {"decision", decision}, {"latched", latched}};
  }
  static Result<LatencyState> fromJson(const nlohmann::json& j, const std::string& where);
};

class LatencyTest {
 public:
  struct Outcome {
    LatencyState state;
    MetricResult result;
  };
  static Result<Outcome> look(LatencyState state, const LatencyData& canary, const LatencyData& baseline,
                              const LatencyPolicy& policy, const MetricSpec& spec, bool sequential);
  // The look index a canary sample of size m belongs to (0 below min_samples).
  static uint32_t lookIndex(double m, const LatencyPolicy& policy);
  // Mixture boundary: rho and z_b(m) (see above).
  static double mixtureRho(const LatencyPolicy& policy);
  static double mixtureZ(double m, const LatencyPolicy& policy);
  // Confidence of look k: 1 - (1 - confidence) / (k (k + 1)).
  static double lookConfidence(uint32_t k, const LatencyPolicy& policy);
  // More canary samples until the interval [ciLow, ciHigh] around the
  // log-shift would clear the tolerance t (log scale) one way or the other,
  // its half-widths shrinking as 1/sqrt(samples) (MetricForecast.h).
  static MetricForecast forecast(double shift, double ciLow, double ciHigh, double t, double m, Direction direction);
};

}  // namespace ramp::analysis
