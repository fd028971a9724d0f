// Scorecard.h — from per-metric results to one verdict (Kayenta-style scoring
// made sequential).
//
// Rules, in order:
//  1. a critical metric that failed            → fail, score 0
//  2. half or more of the metrics have no data → inconclusive (final) / continue
//  3. group score = weighted successes / weighted metrics of the group with
//     data * 100 (metric `weight`, default 1; an all-nodata group counts
//     100); summary = weighted mean of group scores (configured group
//     weights; groups without one share what is left of 100).
//     Undecided (inconclusive) metrics are scored both ways:
//       optimistic  (as successes) < marginal                 → fail
//       pessimistic (as failures) >= pass and every critical
//       metric succeeded                                       → pass
//  4. otherwise: final → inconclusive (undecided metrics, or a marginal score
//     between marginal and pass); not final → continue.
// The reason starts with what decided (or what is awaited) and then names
// every metric with its own sentence (its strongest signal and numbers), so a
// person reading a pause sees the error evidence as well as the missing
// latency data.
//
// details.forecast: more canary requests until the verdict would be pass or
// fail if every metric's rates so far continue (from each metric's
// stats.forecast, MetricForecast.h): {"pass_requests", "fail_requests",
// "requests" (the nearer of the two), "decision" ("pass" | "fail" | null)}.
#pragma once

#include <optional>
#include <vector>

#include "analysis/JudgeConfig.h"
#include "analysis/MetricResult.h"
#include "analysis/Verdict.h"

namespace ramp::analysis {

class Scorecard {
 public:
  static Verdict score(std::vector<MetricResult> metrics, const JudgeConfig& config, bool final);

  // The scores of a set of results (no verdict): optimistic and pessimistic
  // summary scores, whether every critical metric succeeded, whether one failed.
  struct Tally {
    double optimistic = 100;
    double pessimistic = 100;
    bool criticalOk = true;
    bool criticalFailed = false;
    size_t nodata = 0;
    nlohmann::json groups = nlohmann::json::object();
  };
  static Tally tally(const std::vector<MetricResult>& metrics, const JudgeConfig& config);
  // Whether these results are a pass / a fail by rules 1-3.
  static bool passes(const Tally& t, const JudgeConfig& config, size_t metrics);
  static bool fails(const Tally& t, const JudgeConfig& config, size_t metrics);
};

}  // namespace ramp::analysis
