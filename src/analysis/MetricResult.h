// MetricResult.h — the judgement of one metric: its class, a sentence with
// the numbers, and every statistic as JSON (stored with the verdict).
//
// Classes (as in Kayenta, plus the sequential "not yet"):
//   pass          no regression beyond the tolerance, with the configured confidence
//   high / low    significantly above / below the baseline beyond the tolerance
//   nodata        too little data on either side to test at all
//   inconclusive  data, but not yet enough evidence either way
// Whether high/low is a failure depends on the metric's direction (failure()).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "analysis/JudgeConfig.h"

namespace ramp::analysis {

enum class Classification { kPass, kHigh, kLow, kNoData, kInconclusive };

std::string_view classificationName(Classification c);

struct MetricResult {
  std::string name;
  MetricKind kind = MetricKind::kErrorRate;
  std::string group;
  bool critical = false;
  Direction direction = Direction::kIncrease;
  Classification classification = Classification::kNoData;
  std::string reason;                          // one sentence, with the numbers
  nlohmann::json stats = nlohmann::json::object();
  double weight = 1;                           // the metric's weight within its group (MetricSpec)

  // High (or Low) in a direction that counts as a regression.
  bool failure() const {
    return (classification == Classification::kHigh && direction != Direction::kDecrease) ||
           (classification == Classification::kLow && direction != Direction::kIncrease);
  }
  // Pass, or a significant move in the harmless direction.
  bool success() const {
    return classification == Classification::kPass ||
           (classification == Classification::kLow && direction == Direction::kIncrease) ||
           (classification == Classification::kHigh && direction == Direction::kDecrease);
  }
  nlohmann::json toJson() const;

  // A result not yet classified, for `spec` judged by a test of `kind` in
  // `direction`: its name, critical and weight, and its group (the name
  // when the spec has none).
  static MetricResult of(const MetricSpec& spec, MetricKind kind, Direction direction);
};

}  // namespace ramp::analysis
