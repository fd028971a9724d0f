#include "analysis/JudgeConfig.h"

#include <cmath>
#include <set>

#include <fmt/format.h>

namespace ramp::analysis {

std::string_view metricKindName(MetricKind k) {
  return k == MetricKind::kErrorRate ? "error_rate" : "latency";
}

std::string_view directionName(Direction d) {
  switch (d) {
    case Direction::kIncrease: return "increase";
    case Direction::kDecrease: return "decrease";
    case Direction::kEither: return "either";
  }
  return "increase";
}

std::vector<double> ErrorRatePolicy::grid() const {
  if (!alternatives.empty()) return alternatives;
  std::vector<double> g;
  for (int k = 0; k <= 8; ++k) g.push_back(minIncrease * std::pow(4.0, k / 8.0));
  return g;
}

JudgeConfig JudgeConfig::defaults() {
  JudgeConfig c;
  c.metrics.push_back(MetricSpec{"error_rate", MetricKind::kErrorRate, "errors", true, Direction::kIncrease});
  c.metrics.push_back(MetricSpec{"latency", MetricKind::kLatency, "latency", false, Direction::kIncrease});
  return c;
}

namespace {

using nlohmann::json;

Status onlyKeys(const json& j, const std::string& where, std::initializer_list<const char*> keys) {
  if (!j.is_object()) return invalid("must be an object", where);
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = false;
    for (const char* k : keys) known = known || it.key() == k;
    if (!known) {
      std::string list;
      for (const char* k : keys) list += std::string(list.empty() ? "" : ", ") + k;
      return invalid(fmt::format("unknown key '{}' (expected one of: {})", it.key(), list),
                     where + "." + it.key());
    }
  }
  return ok();
}

Status readNumber(const json& j, const char* key, const std::string& where, double& out) {
  if (!j.contains(key)) return ok();
  if (!j[key].is_number()) return invalid("must be a number", where + "." + key);
  out = j[key].get<double>();
  if (!std::isfinite(out)) return invalid("must be finite", where + "." + key);
  return ok();
}

Status readCount(const json& j, const char* key, const std::string& where, uint64_t& out) {
  if (!j.contains(key)) return ok();
  if (!j[key].is_number_integer() || j[key].get<int64_t>() < 0)
    return invalid("must be an integer >= 0", where + "." + key);
  out = j[key].get<uint64_t>();
  return ok();
}

// `key`, when present, names one of `choices`: "must be A, B or C" otherwise.
template <class E>
Status readChoice(const json& j, const char* key, const std::string& where,
                  std::initializer_list<std::pair<const char*, E>> choices, E& out) {
  if (!j.contains(key)) return ok();
  std::string given = j[key].is_string() ? j[key].get<std::string>() : "";
  std::string names;
  size_t i = 0;
  for (const auto& [name, value] : choices) {
    if (given == name) {
      out = value;
      return ok();
    }
    names += std::string(i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + name;
    ++i;
  }
  return invalid("must be " + names, where + "." + key);
}

}  // namespace

Result<JudgeConfig> JudgeConfig::fromJson(const json& j, const std::string& where) {
  JudgeConfig c = defaults();
  if (j.is_null()) return c;
  if (auto s = onlyKeys(j, where, {"error_rate", "latency", "pass_score", "marginal_score", "groups", "metrics"}); !s)
    return std::unexpected(s.error());
  if (j.contains("error_rate")) {
    const auto& e = j["error_rate"];
    std::string w = where + ".error_rate";
    if (auto s = onlyKeys(e, w, {"alpha", "beta", "min_increase", "method", "alternatives", "min_error_rate", "objective",
                                 "min_requests", "tolerance"}); !s)
      return std::unexpected(s.error());
    if (auto s = readChoice(e, "method", w, {{"plugin", ErrorRateMethod::kPlugIn}, {"mixture", ErrorRateMethod::kMixture}},
                            c.errorRate.method);
        !s)
      return std::unexpected(s.error());
    for (auto s : {readNumber(e, "alpha", w, c.errorRate.alpha), readNumber(e, "beta", w, c.errorRate.beta),
                   readNumber(e, "min_increase", w, c.errorRate.minIncrease),
                   readNumber(e, "min_error_rate", w, c.errorRate.minErrorRate),
                   readNumber(e, "objective", w, c.errorRate.objective),
                   readNumber(e, "tolerance", w, c.errorRate.tolerance),
                   readCount(e, "min_requests", w, c.errorRate.minRequests)})
      if (!s) return std::unexpected(s.error());
    if (e.contains("alternatives")) {
      if (!e["alternatives"].is_array()) return invalid("must be a list of ratios", w + ".alternatives");
      for (size_t i = 0; i < e["alternatives"].size(); ++i) {
        const auto& v = e["alternatives"][i];
        if (!v.is_number()) return invalid("must be a number", fmt::format("{}.alternatives[{}]", w, i));
        c.errorRate.alternatives.push_back(v.get<double>());
      }
    }
  }
  if (j.contains("latency")) {
    const auto& l = j["latency"];
    std::string w = where + ".latency";
    if (auto s = onlyKeys(l, w, {"confidence", "tolerance", "min_shift_ms", "min_samples", "boundary", "mixture_samples",
                                 "look_growth", "outlier_factor", "deadline_tolerance"}); !s)
      return std::unexpected(s.error());
    if (auto s = readChoice(l, "boundary", w, {{"mixture", LatencyBoundary::kMixture}, {"spending", LatencyBoundary::kSpending}},
                            c.latency.boundary);
        !s)
      return std::unexpected(s.error());
    for (auto s : {readNumber(l, "confidence", w, c.latency.confidence),
                   readNumber(l, "tolerance", w, c.latency.tolerance),
                   readNumber(l, "deadline_tolerance", w, c.latency.deadlineTolerance),
                   readNumber(l, "min_shift_ms", w, c.latency.minShiftMs),
                   readCount(l, "min_samples", w, c.latency.minSamples),
                   readNumber(l, "look_growth", w, c.latency.lookGrowth),
                   readNumber(l, "mixture_samples", w, c.latency.mixtureSamples),
                   readNumber(l, "outlier_factor", w, c.latency.outlierFactor)})
      if (!s) return std::unexpected(s.error());
  }
  for (auto s : {readNumber(j, "pass_score", where, c.passScore),
                 readNumber(j, "marginal_score", where, c.marginalScore)})
    if (!s) return std::unexpected(s.error());
  if (j.contains("groups")) {
    const auto& g = j["groups"];
    if (!g.is_object()) return invalid("must be a map of group name to weight", where + ".groups");
    for (auto it = g.begin(); it != g.end(); ++it) {
      if (!it.value().is_number()) return invalid("must be a number", where + ".groups." + it.key());
      c.groupWeights[it.key()] = it.value().get<double>();
    }
  }
  if (j.contains("metrics")) {
    const auto& ms = j["metrics"];
    if (!ms.is_array()) return invalid("must be a list of metrics", where + ".metrics");
    c.metrics.clear();
    for (size_t i = 0; i < ms.size(); ++i) {
      std::string w = fmt::format("{}.metrics[{}]", where, i);
      const auto& m = ms[i];
      if (auto s = onlyKeys(m, w, {"name", "kind", "group", "critical", "direction", "weight"}); !s)
        return std::unexpected(s.error());
      MetricSpec spec;
      if (!m.contains("name") || !m["name"].is_string() || m["name"].get<std::string>().empty())
        return invalid("needs a non-empty string 'name'", w + ".name");
      spec.name = m["name"].get<std::string>();
      if (!m.contains("kind") || !m["kind"].is_string())
        return invalid("needs 'kind': error_rate or latency", w + ".kind");
      std::string kind = m["kind"].get<std::string>();
      if (kind == "error_rate") spec.kind = MetricKind::kErrorRate;
      else if (kind == "latency") spec.kind = MetricKind::kLatency;
      else return invalid(fmt::format("unknown kind '{}' (expected error_rate or latency)", kind), w + ".kind");
      spec.group = spec.name;
      if (m.contains("group")) {
        if (!m["group"].is_string()) return invalid("must be a string", w + ".group");
        spec.group = m["group"].get<std::string>();
      }
      if (m.contains("critical")) {
        if (!m["critical"].is_boolean()) return invalid("must be true or false", w + ".critical");
        spec.critical = m["critical"].get<bool>();
      }
      if (m.contains("weight")) {
        if (!m["weight"].is_number()) return invalid("must be a number", w + ".weight");
        spec.weight = m["weight"].get<double>();
      }
      if (m.contains("direction")) {
        if (auto s = readChoice(m, "direction", w,
                                {{"increase", Direction::kIncrease},
                                 {"decrease", Direction::kDecrease},
                                 {"either", Direction::kEither}},
                                spec.direction);
            !s)
          return std::unexpected(s.error());
        if (spec.kind == MetricKind::kErrorRate && spec.direction != Direction::kIncrease)
          return invalid("an error rate can only regress by increasing", w + ".direction");
      }
      c.metrics.push_back(spec);
    }
  }
  if (auto s = c.validate(where); !s) return std::unexpected(s.error());
  return c;
}

Status JudgeConfig::validate(const std::string& where) const {
  const auto& e = errorRate;
  std::string we = where + ".error_rate";
  if (!(e.alpha > 0 && e.alpha < 0.5)) return invalid(fmt::format("alpha {} must be in (0, 0.5)", e.alpha), we + ".alpha");
  if (!(e.beta > 0 && e.beta < 0.5)) return invalid(fmt::format("beta {} must be in (0, 0.5)", e.beta), we + ".beta");
  if (!(e.minIncrease > 1 && e.minIncrease <= 100))
    return invalid(fmt::format("min_increase {} must be a ratio in (1, 100]", e.minIncrease), we + ".min_increase");
  for (size_t i = 0; i < e.alternatives.size(); ++i)
    if (!(e.alternatives[i] > 1 && e.alternatives[i] <= 1000))
      return invalid(fmt::format("ratio {} must be in (1, 1000]", e.alternatives[i]), fmt::format("{}.alternatives[{}]", we, i));
  if (!(e.minErrorRate >= 0 && e.minErrorRate < 1))
    return invalid(fmt::format("min_error_rate {} must be in [0, 1)", e.minErrorRate), we + ".min_error_rate");
  if (!(e.objective >= 0 && e.objective < 1))
    return invalid(fmt::format("objective {} must be an error rate in [0, 1)", e.objective), we + ".objective");
  if (!(e.tolerance >= 0 && e.tolerance <= 100))
    return invalid(fmt::format("tolerance {} must be in [0, 100] (0 = no bounded-harm pass at the deadline)", e.tolerance),
                   we + ".tolerance");
  std::string wl = where + ".latency";
  if (!(latency.confidence > 0.5 && latency.confidence < 1))
    return invalid(fmt::format("confidence {} must be in (0.5, 1)", latency.confidence), wl + ".confidence");
  if (!(latency.tolerance >= 0 && latency.tolerance <= 10))
    return invalid(fmt::format("tolerance {} must be in [0, 10]", latency.tolerance), wl + ".tolerance");
  if (!(latency.deadlineTolerance >= 0 && latency.deadlineTolerance <= 10))
    return invalid(fmt::format("deadline_tolerance {} must be in [0, 10] (0 = no bounded-harm pass at the deadline)",
                               latency.deadlineTolerance),
                   wl + ".deadline_tolerance");
  if (!(latency.minShiftMs >= 0 && latency.minShiftMs <= 60000))
    return invalid(fmt::format("min_shift_ms {} must be in [0, 60000]", latency.minShiftMs), wl + ".min_shift_ms");
  if (latency.minSamples < 2) return invalid("min_samples must be at least 2", wl + ".min_samples");
  if (!(latency.lookGrowth > 1 && latency.lookGrowth <= 10))
    return invalid(fmt::format("look_growth {} must be in (1, 10]", latency.lookGrowth), wl + ".look_growth");
  if (!(latency.mixtureSamples >= 1 && latency.mixtureSamples <= 1e9))
    return invalid(fmt::format("mixture_samples {} must be in [1, 1e9]", latency.mixtureSamples), wl + ".mixture_samples");
  if (!(latency.outlierFactor >= 0)) return invalid("outlier_factor must be >= 0", wl + ".outlier_factor");
  if (!(passScore >= 0 && passScore <= 100)) return invalid("pass_score must be in [0, 100]", where + ".pass_score");
  if (!(marginalScore >= 0 && marginalScore <= passScore))
    return invalid(fmt::format("marginal_score {} must be in [0, pass_score {}]", marginalScore, passScore),
                   where + ".marginal_score");
  double sum = 0;
  for (const auto& [g, w] : groupWeights) {
    if (!(w >= 0)) return invalid("weight must be >= 0", where + ".groups." + g);
    sum += w;
  }
  if (sum > 100 + 1e-9) return invalid(fmt::format("group weights sum to {} (at most 100)", sum), where + ".groups");
  if (metrics.empty()) return invalid("at least one metric is needed", where + ".metrics");
  std::set<std::string> names, groups;
  for (size_t i = 0; i < metrics.size(); ++i) {
    if (!(metrics[i].weight > 0 && metrics[i].weight <= 1000))
      return invalid(fmt::format("weight {} must be in (0, 1000]", metrics[i].weight),
                     fmt::format("{}.metrics[{}].weight", where, i));
    if (!names.insert(metrics[i].name).second)
      return invalid(fmt::format("metric '{}' appears twice", metrics[i].name), fmt::format("{}.metrics[{}].name", where, i));
    groups.insert(metrics[i].group.empty() ? metrics[i].name : metrics[i].group);
  }
  for (const auto& [g, w] : groupWeights)
    if (!groups.count(g)) return invalid(fmt::format("no metric is in group '{}'", g), where + ".groups." + g);
  return ok();
}

nlohmann::json JudgeConfig::toJson() const {
  json j;
  j["error_rate"] = {{"alpha", errorRate.alpha}, {"beta", errorRate.beta}, {"min_increase", errorRate.minIncrease},
                     {"method", errorRate.method == ErrorRateMethod::kPlugIn ? "plugin" : "mixture"},
                     {"alternatives", errorRate.grid()}, {"min_error_rate", errorRate.minErrorRate},
                     {"objective", errorRate.objective}, {"tolerance", errorRate.tolerance},
                     {"min_requests", errorRate.minRequests}};
  j["latency"] = {{"confidence", latency.confidence}, {"tolerance", latency.tolerance},
                  {"deadline_tolerance", latency.deadlineTolerance},
                  {"min_shift_ms", latency.minShiftMs},
                  {"min_samples", latency.minSamples},
                  {"boundary", latency.boundary == LatencyBoundary::kMixture ? "mixture" : "spending"},
                  {"mixture_samples", latency.mixtureSamples}, {"look_growth", latency.lookGrowth},
                  {"outlier_factor", latency.outlierFactor}};
  j["pass_score"] = passScore;
  j["marginal_score"] = marginalScore;
  j["groups"] = groupWeights;
  j["metrics"] = json::array();
  for (const auto& m : metrics)
    j["metrics"].push_back({{"name", m.name}, {"kind", metricKindName(m.kind)}, {"group", m.group.empty() ? m.name : m.group},
                            {"critical", m.critical}, {"direction", directionName(m.direction)}, {"weight", m.weight}});
  return j;
}

}  // namespace ramp::analysis
