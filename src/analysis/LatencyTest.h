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
// Repeated looks (sequential driver): look k happens only when the canary's
// sample has grown by look_growth since the previous one (so k grows with the
// logarithm of the sample, not with wall time), and spends
//   alpha_k = (1 - confidence) / (k (k + 1)),   sum over all k = 1 - confidence,
// so by Bonferroni the probability of ever crossing a wrong boundary is at
// most 1 - confidence, however long the analysis runs. Decisions latch; a
// later "high" still overturns an earlier "pass". A one-shot judgement
// (sequential = false) is a single look at the full confidence.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "analysis/JudgeConfig.h"
#include "analysis/Measurements.h"
#include "analysis/MetricResult.h"
#include "core/Result.h"

namespace ramp::analysis {

struct LatencyState {
  uint32_t lastLook = 0;   // index k of the last look (0 = none yet)
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
  // Confidence of look k: 1 - (1 - confidence) / (k (k + 1)).
  static double lookConfidence(uint32_t k, const LatencyPolicy& policy);
};

}  // namespace ramp::analysis
