// DecisionForecast.h — the verdict's forecast (more canary requests to a
// decision, Scorecard.h details.forecast) in time and traffic: when the judge
// would decide at the current canary request rate, and which canary weight
// would bring the decision before the step's deadline.
//
// Assumes the total traffic stays as it is, so the canary's request rate is
// proportional to its weight (rate × w'/w). More weight also takes requests
// from the baseline, which a ratio test needs too; the weight is therefore a
// lower bound ("at least"), rounded up, and only offered when it is <= 100.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace ramp::analysis {

struct DecisionForecast {
  std::optional<double> requests;         // more canary requests to the predicted decision
  std::string decision;                   // "pass" | "fail" | "" (none predicted at the current rates)
  std::optional<double> seconds;          // at the current canary rate
  bool withinDeadline = false;            // seconds <= secondsLeft
  std::optional<int> weightForDeadline;   // the canary weight that gets there in time (when the current one does not)

  // verdictForecast: details.forecast of a verdict; canaryPerSecond: the
  // canary's requests per second so far in this analysis; secondsLeft: to
  // the step's deadline; weight: the canary's current weight (1..100).
  static DecisionForecast of(const nlohmann::json& verdictForecast, double canaryPerSecond, double secondsLeft,
                             int weight);
  // {"decision", "requests", "seconds", "within_deadline", "weight_for_deadline"} (null when unknown).
  nlohmann::json toJson() const;
};

}  // namespace ramp::analysis
