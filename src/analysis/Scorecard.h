// Scorecard.h — from per-metric results to one verdict (Kayenta-style scoring
// made sequential).
//
// Rules, in order:
//  1. a critical metric that failed            → fail, score 0
//  2. half or more of the metrics have no data → inconclusive (final) / continue
//  3. group score = successes / (metrics of the group with data) * 100 (an
//     all-nodata group counts 100); summary = weighted mean of group scores
//     (configured weights; groups without one share what is left of 100).
//     Undecided (inconclusive) metrics are scored both ways:
//       optimistic  (as successes) < marginal                 → fail
//       pessimistic (as failures) >= pass and every critical
//       metric succeeded                                       → pass
//  4. otherwise: final → inconclusive (undecided metrics, or a marginal score
//     between marginal and pass); not final → continue.
// The reason names the deciding metric(s) and carries their numbers.
#pragma once

#include <vector>

#include "analysis/JudgeConfig.h"
#include "analysis/MetricResult.h"
#include "analysis/Verdict.h"

namespace ramp::analysis {

class Scorecard {
 public:
  static Verdict score(std::vector<MetricResult> metrics, const JudgeConfig& config, bool final);
};

}  // namespace ramp::analysis
