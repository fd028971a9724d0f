#include "analysis/MetricForecast.h"

#include <cmath>

namespace ramp::analysis {

namespace {

nlohmann::json rounded(const std::optional<double>& v) {
  if (!v || !std::isfinite(*v)) return nullptr;
  return static_cast<uint64_t>(std::ceil(std::max(0.0, *v)));
}

std::optional<double> read(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return std::nullopt;
  return j[key].get<double>();
}

}  // namespace

nlohmann::json MetricForecast::toJson() const {
  return {{"pass_requests", rounded(passRequests)}, {"fail_requests", rounded(failRequests)}};
}

MetricForecast MetricForecast::fromJson(const nlohmann::json& j) {
  return MetricForecast{read(j, "pass_requests"), read(j, "fail_requests")};
}

}  // namespace ramp::analysis
