#include "analysis/AnalysisBlock.h"

#include <algorithm>

#include <fmt/format.h>

#include "analysis/FalseRollbackBudget.h"

namespace ramp::analysis {

using nlohmann::json;

Result<JudgeConfig> AnalysisBlock::judgeConfig(const json& a, int analyses) {
  json j = json::object();
  if (!a.is_null() && !a.is_object()) return invalid("must be a map", "analysis");
  const json block = a.is_object() ? a : json::object();
  auto number = [&](const char* key) -> const json* {
    return block.contains(key) && block[key].is_number() ? &block[key] : nullptr;
  };
  json metrics = json::array();
  if (block.contains("metrics") && block["metrics"].is_array() && !block["metrics"].empty()) {
    for (const auto& m : block["metrics"]) {
      if (!m.is_object()) continue;
      json out{{"name", m.value("name", "")}, {"kind", m.value("kind", "")}};
      if (m.contains("critical") && m["critical"].is_boolean()) out["critical"] = m["critical"];
      if (m.contains("weight") && m["weight"].is_number()) out["weight"] = m["weight"];
      if (m.contains("group") && m["group"].is_string()) out["group"] = m["group"];
      if (m.contains("direction") && m["direction"].is_string()) out["direction"] = m["direction"];
      metrics.push_back(out);
    }
    j["metrics"] = metrics;
  }
  const size_t metricCount = metrics.empty() ? JudgeConfig::defaults().metrics.size() : metrics.size();
  FalseRollbackBudget budget;
  if (auto* v = number("max_false_rollback")) budget.total = v->get<double>();
  if (!(budget.total > 0 && budget.total < 1))
    return invalid(fmt::format("{} must be a probability in (0, 1)", budget.total), "analysis.max_false_rollback");
  budget.metrics = static_cast<int>(metricCount);
  budget.analyses = analyses;
  const double a1 = budget.perTest();
  json er{{"alpha", a1}};
  if (auto* v = number("max_false_pass")) er["beta"] = *v;
  if (auto* v = number("error_rate_objective")) er["objective"] = *v;
  if (auto* v = number("error_rate_tolerance")) er["tolerance"] = *v;
  if (auto* v = number("min_error_rate")) er["min_error_rate"] = *v;
  if (auto* v = number("min_requests")) er["min_requests"] = *v;
  j["error_rate"] = er;
  j["latency"] = {{"confidence", 1 - a1}};
  if (auto* v = number("latency_tolerance")) j["latency"]["tolerance"] = *v;
  if (auto* v = number("latency_deadline_tolerance")) j["latency"]["deadline_tolerance"] = *v;
  for (const char* k : {"pass_score", "marginal_score"})
    if (auto* v = number(k)) j[k] = *v;
  if (block.contains("groups") && block["groups"].is_object() && !block["groups"].empty()) j["groups"] = block["groups"];
  auto cfg = JudgeConfig::fromJson(j, "analysis");
  if (!cfg) {
    // Name the ramp.yaml key, not the judge's internal one.
    Error e = cfg.error();
    for (auto [from, to] : {std::pair{"analysis.error_rate.alpha", "analysis.max_false_rollback"},
                            std::pair{"analysis.latency.confidence", "analysis.max_false_rollback"},
                            std::pair{"analysis.error_rate.beta", "analysis.max_false_pass"},
                            std::pair{"analysis.error_rate.objective", "analysis.error_rate_objective"},
                            std::pair{"analysis.error_rate.tolerance", "analysis.error_rate_tolerance"},
                            std::pair{"analysis.error_rate.min_error_rate", "analysis.min_error_rate"},
                            std::pair{"analysis.error_rate.min_requests", "analysis.min_requests"},
                            std::pair{"analysis.latency.tolerance", "analysis.latency_tolerance"},
                            std::pair{"analysis.latency.deadline_tolerance", "analysis.latency_deadline_tolerance"}})
      if (e.where == from) e.where = to;
    return std::unexpected(e);
  }
  return cfg;
}

int AnalysisBlock::analysesOf(const json& service, bool hotfix) {
  int n = 0;
  const json strategy = service.is_object() ? service.value("strategy", json::object()) : json::object();
  json steps = strategy.value("steps", json::array());
  if (hotfix && strategy.contains("hotfix_steps") && strategy["hotfix_steps"].is_array() &&
      !strategy["hotfix_steps"].empty())
    steps = strategy["hotfix_steps"];
  if (steps.is_array())
    for (const auto& s : steps) n += s.is_object() && s.contains("analysis") ? 1 : 0;
  const json bake = strategy.value("bake", json("0s"));
  const bool baked = bake.is_string() && bake.get<std::string>() != "0s" && bake.get<std::string>() != "0";
  if (baked && strategy.value("type", std::string("bluegreen")) != "all-at-once") ++n;
  return std::max(1, n);
}

}  // namespace ramp::analysis
