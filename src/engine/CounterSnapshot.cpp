#include "engine/CounterSnapshot.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "analysis/AnalysisBlock.h"

namespace ramp::engine {

using nlohmann::json;

namespace {

std::vector<double> boundsFromJson(const json& j) {
  std::vector<double> out;
  for (const auto& b : j) out.push_back(b.is_number() ? b.get<double>() : std::numeric_limits<double>::infinity());
  return out;
}

// One query metric's difference between two cumulative values; nullopt when
// the shapes do not match (then no data at this look).
std::optional<json> queryDelta(const json& start, const json& now) {
  if (now.contains("requests")) {
    if (!start.contains("requests")) return std::nullopt;
    uint64_t r0 = start.value("requests", uint64_t{0}), r1 = now.value("requests", uint64_t{0});
    uint64_t e0 = start.value("errors", uint64_t{0}), e1 = now.value("errors", uint64_t{0});
    if (r1 < r0 || e1 < e0) return json{{"requests", r1}, {"errors", std::min(e1, r1)}};  // restarted
    return json{{"requests", r1 - r0}, {"errors", std::min(e1 - e0, r1 - r0)}};
  }
  if (!now.contains("counts") || !start.contains("counts")) return std::nullopt;
  auto c1 = now["counts"].get<std::vector<uint64_t>>();
  auto c0 = start["counts"].get<std::vector<uint64_t>>();
  if (c0.size() != c1.size() || start.value("bounds", json()) != now.value("bounds", json())) {
    // No series at the start (an empty histogram): everything since counts.
    if (c0.empty()) return now;
    return std::nullopt;
  }
  uint64_t t0 = 0, t1 = 0;
  for (size_t i = 0; i < c1.size(); ++i) t0 += c0[i], t1 += c1[i];
  if (t1 < t0) return now;  // restarted
  for (size_t i = 0; i < c1.size(); ++i) c1[i] -= std::min(c1[i], c0[i]);
  return json{{"bounds", now["bounds"]}, {"counts", c1}};
}

}  // namespace

bool CounterSnapshot::isQueryMetric(const json& m) { return m.is_object() && m.contains("prometheus"); }

CounterSnapshot CounterSnapshot::of(const providers::FleetMetrics& m) {
  CounterSnapshot s;
  s.requests = m.requests;
  s.errors = m.status5xx + m.upstreamErrors;
  s.boundsMs = m.latencyBoundsMs;
  s.counts = m.latencyCounts;
  s.epoch = m.countersEpoch;
  return s;
}

json CounterSnapshot::toJson() const {
  json bounds = json::array();
  for (double b : boundsMs) bounds.push_back(std::isfinite(b) ? json(b) : json("+Inf"));
  json j{{"requests", requests}, {"errors", errors}, {"bounds", bounds}, {"counts", counts}};
  if (metrics.is_object() && !metrics.empty()) j["metrics"] = metrics;
  if (!epoch.empty()) j["epoch"] = epoch;
  return j;
}

Result<CounterSnapshot> CounterSnapshot::fromJson(const json& j, const std::string& where) {
  try {
    CounterSnapshot s;
    s.requests = j.at("requests").get<uint64_t>();
    s.errors = j.at("errors").get<uint64_t>();
    for (const auto& b : j.at("bounds")) {
      s.boundsMs.push_back(b.is_number() ? b.get<double>() : std::numeric_limits<double>::infinity());
    }
    s.counts = j.at("counts").get<std::vector<uint64_t>>();
    if (j.contains("metrics") && j["metrics"].is_object()) s.metrics = j["metrics"];
    if (j.contains("epoch") && j["epoch"].is_string()) s.epoch = j["epoch"].get<std::string>();
    return s;
  } catch (const std::exception& e) {
    return internal(std::string("bad metrics snapshot: ") + e.what(), where);
  }
}

Result<analysis::Measurements> CounterSnapshot::between(const CounterSnapshot& start, const CounterSnapshot& now) {
  // Counters restart at 0 when the router restarts: then count from 0.
  bool reset = now.requests < start.requests;
  uint64_t req = reset ? now.requests : now.requests - start.requests;
  uint64_t err = reset || now.errors < start.errors ? now.errors : now.errors - start.errors;
  auto counts = now.counts;
  if (!reset && start.counts.size() == counts.size()) {
    for (size_t i = 0; i < counts.size(); ++i) counts[i] -= std::min(counts[i], start.counts[i]);
  }
  return analysis::Measurements::ofFleet(req, err, now.boundsMs, std::move(counts));
}

Result<analysis::Measurements> CounterSnapshot::between(const CounterSnapshot& start, const CounterSnapshot& now,
                                                        const json& metrics) {
  auto router = between(start, now);
  if (!router) return router;
  return named(*router, start, now, metrics);
}

Result<analysis::Measurements> CounterSnapshot::named(const analysis::Measurements& router,
                                                      const CounterSnapshot& start, const CounterSnapshot& now,
                                                      const json& metrics) {
  if (!metrics.is_array() || metrics.empty()) return router;
  analysis::Measurements out;
  try {
    for (const auto& m : metrics) {
      if (!m.is_object()) continue;
      const std::string name = m.value("name", ""), kind = m.value("kind", "");
      if (!isQueryMetric(m)) {
        if (kind == "latency") {
          if (auto l = router.latency.find("latency"); l != router.latency.end()) out.latency[name] = l->second;
        } else if (auto e = router.errors.find("error_rate"); e != router.errors.end()) {
          out.errors[name] = e->second;
        }
        continue;
      }
      const json s = start.metrics.is_object() ? start.metrics.value(name, json()) : json();
      const json e = now.metrics.is_object() ? now.metrics.value(name, json()) : json();
      if (!s.is_object() || !e.is_object()) continue;
      auto d = queryDelta(s, e);
      if (!d) continue;
      if (kind == "latency") {
        out.latency[name] = analysis::LatencyData{boundsFromJson((*d)["bounds"]),
                                                  (*d)["counts"].get<std::vector<uint64_t>>(), {}};
      } else {
        out.errors[name] = analysis::ErrorCounts{(*d)["requests"].get<uint64_t>(), (*d)["errors"].get<uint64_t>()};
      }
    }
  } catch (const std::exception& e) {
    return internal(std::string("bad metrics snapshot: ") + e.what());
  }
  return out;
}

Result<analysis::JudgeConfig> CounterSnapshot::judgeConfig(const json& a, int analyses) {
  return analysis::AnalysisBlock::judgeConfig(a, analyses);
}

}  // namespace ramp::engine
