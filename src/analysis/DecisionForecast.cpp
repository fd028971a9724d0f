#include "analysis/DecisionForecast.h"

#include <algorithm>

#include <cmath>

namespace ramp::analysis {

DecisionForecast DecisionForecast::of(const nlohmann::json& f, double canaryPerSecond, double secondsLeft, int weight) {
  DecisionForecast d;
  if (!f.is_object() || !f.contains("requests") || !f["requests"].is_number()) return d;
  d.requests = f["requests"].get<double>();
  d.decision = f.value("decision", nlohmann::json()).is_string() ? f["decision"].get<std::string>() : "";
  if (*d.requests <= 0) {
    d.seconds = 0;
    d.withinDeadline = true;
    return d;
  }
  if (!(canaryPerSecond > 0) || weight <= 0) return d;
  d.seconds = *d.requests / canaryPerSecond;
  d.withinDeadline = *d.seconds <= secondsLeft;
  if (!d.withinDeadline && secondsLeft > 0) {
    const double needed = *d.requests / secondsLeft;  // canary requests per second
    const double w = std::ceil(static_cast<double>(weight) * needed / canaryPerSecond);
    if (w <= 100) d.weightForDeadline = static_cast<int>(std::max(w, static_cast<double>(weight)));
  }
  return d;
}

nlohmann::json DecisionForecast::toJson() const {
  using nlohmann::json;
  return {{"decision", decision.empty() ? json(nullptr) : json(decision)},
          {"requests", requests ? json(static_cast<uint64_t>(std::ceil(*requests))) : json(nullptr)},
          {"seconds", seconds ? json(std::round(*seconds * 10) / 10) : json(nullptr)},
          {"within_deadline", withinDeadline},
          {"weight_for_deadline", weightForDeadline ? json(*weightForDeadline) : json(nullptr)}};
}

}  // namespace ramp::analysis
