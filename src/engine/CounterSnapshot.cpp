#include "engine/CounterSnapshot.h"

#include "analysis/AnalysisBlock.h"

#include <cmath>
#include <limits>

namespace ramp::engine {

using nlohmann::json;

namespace {

std::vector<double> boundsFromJson(const json& j) {
  std::vector<double> out;
  for (const auto& b : j) out.push_back(b.is_number() ? b.get<double>() : std::numeric_limits<double>::infinity());
  return out;
}

}  // namespace

json CounterSnapshot::of(const providers::FleetMetrics& m) {
  json bounds = json::array();
  for (double b : m.latencyBoundsMs) bounds.push_back(std::isfinite(b) ? json(b) : json("+Inf"));
  return {{"requests", m.requests},
          {"errors", m.status5xx + m.upstreamErrors},
          {"bounds", bounds},
          {"counts", m.latencyCounts}};
}

Result<analysis::Measurements> CounterSnapshot::between(const json& start, const json& now) {
  try {
    // Counters restart at 0 when the router restarts: then count from 0.
    uint64_t req0 = start.at("requests").get<uint64_t>(), req1 = now.at("requests").get<uint64_t>();
    bool reset = req1 < req0;
    uint64_t req = reset ? req1 : req1 - req0;
    uint64_t err1 = now.at("errors").get<uint64_t>(), err0 = start.at("errors").get<uint64_t>();
    uint64_t err = reset || err1 < err0 ? err1 : err1 - err0;
    auto bounds = boundsFromJson(now.at("bounds"));
    auto counts = now.at("counts").get<std::vector<uint64_t>>();
    auto counts0 = start.at("counts").get<std::vector<uint64_t>>();
    if (!reset && counts0.size() == counts.size()) {
      for (size_t i = 0; i < counts.size(); ++i) counts[i] -= std::min(counts[i], counts0[i]);
    }
    return analysis::Measurements::ofFleet(req, err, std::move(bounds), std::move(counts));
  } catch (const std::exception& e) {
    return internal(std::string("bad metrics snapshot: ") + e.what());
  }
}

Result<analysis::JudgeConfig> CounterSnapshot::judgeConfig(const json& a, int analyses) {
  return analysis::AnalysisBlock::judgeConfig(a, analyses);
}

}  // namespace ramp::engine
