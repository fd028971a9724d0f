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

MetricResult MetricResult::of(const MetricSpec& spec, MetricKind kind, Direction direction) {
  MetricResult res;
  res.name = spec.name;
  res.kind = kind;
  res.group = spec.group.empty() ? spec.name : spec.group;
  res.critical = spec.critical;
  res.weight = spec.weight;
  res.direction = direction;
  return res;
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
