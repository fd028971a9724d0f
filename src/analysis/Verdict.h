// Verdict.h — what the judge returns: an outcome, a score, one sentence with
// the numbers, and every metric's result (all of it as JSON for the store and
// the deployment's events).
//
//   pass          the canary is not worse (every metric decided, score >= pass)
//   fail          worse: a critical metric failed, or the score is below marginal
//   inconclusive  final, but no decision possible (no data, low traffic, marginal score)
//   continue      not final yet: keep the canary at this weight and look again
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/MetricResult.h"

namespace ramp::analysis {

enum class Outcome { kPass, kFail, kInconclusive, kContinue };

std::string_view outcomeName(Outcome o);

struct Verdict {
  Outcome outcome = Outcome::kContinue;
  double score = 0;          // 0..100, Kayenta-style summary score (0 on a critical failure)
  std::string reason;        // one sentence, with the numbers
  std::vector<MetricResult> metrics;
  nlohmann::json details = nlohmann::json::object();  // thresholds, group scores, look number

  nlohmann::json toJson() const;
};

}  // namespace ramp::analysis
