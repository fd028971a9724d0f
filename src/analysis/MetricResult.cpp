#include "analysis/MetricResult.h"

namespace ramp::analysis {

std::string_view classificationName(Classification c) {
  switch (c) {
    case Classification::kPass: return "pass";
    case Classification::kHigh: return "high";
    case Classification::kLow: return "low";
    case Classification::kNoData: return "nodata";
    case Classification::kInconclusive: return "inconclusive";
  }
  return "inconclusive";
}

nlohmann::json MetricResult::toJson() const {
  return {{"name", name},
          {"kind", metricKindName(kind)},
          {"group", group},
          {"critical", critical},
          {"direction", directionName(direction)},
          {"weight", weight},
          {"classification", classificationName(classification)},
          {"reason", reason},
          {"stats", stats}};
}

}  // namespace ramp::analysis
