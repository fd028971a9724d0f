#include "SimPlan.h"

#include "analysis/AnalysisBlock.h"
#include "core/Duration.h"

namespace ramp::bench {

using nlohmann::json;

namespace {

Result<double> seconds(const json& j, const std::string& where) {
  if (!j.is_string()) return invalid("expected a duration", where);
  auto d = parseDuration(j.get<std::string>());
  if (!d) return invalid(d.error().message, where);
  return static_cast<double>(d->count()) / 1000.0;
}

}  // namespace

Result<SimPlan> SimPlan::fromRendered(const json& service, bool hotfix) {
  SimPlan p;
  const json strategy = service.value("strategy", json::object());
  json steps = strategy.value("steps", json::array());
  if (hotfix && strategy.contains("hotfix_steps") && !strategy["hotfix_steps"].empty()) steps = strategy["hotfix_steps"];
  if (!steps.is_array() || steps.empty()) return invalid("the service has no canary steps", "strategy.steps");
  const json block = service.value("analysis", json::object());
  for (size_t i = 0; i < steps.size(); ++i) {
    const json& s = steps[i];
    const std::string where = "strategy.steps[" + std::to_string(i) + "]";
    Step st;
    if (s.contains("weight")) {
      st.weight = s["weight"].get<int>();
    } else if (s.contains("analysis")) {
      st.kind = Step::Kind::kAnalysis;
      const json& a = s["analysis"];
      // The step's deadline: its own duration, else analysis.deadline.
      const json& d = a.contains("duration") ? a["duration"] : block.value("deadline", json("10m"));
      auto dl = seconds(d, where + ".analysis.duration");
      if (!dl) return std::unexpected(dl.error());
      st.deadlineS = *dl;
      if (a.contains("interval")) {
        auto iv = seconds(a["interval"], where + ".analysis.interval");
        if (!iv) return std::unexpected(iv.error());
        st.intervalS = *iv;
      }
    } else if (s.contains("pause")) {
      st.kind = Step::Kind::kPause;
      if (s["pause"] != "until_resumed") {
        auto ps = seconds(s["pause"], where + ".pause");
        if (!ps) return std::unexpected(ps.error());
        st.pauseS = *ps;
      }
    } else {
      return invalid("unknown step", where);
    }
    p.steps.push_back(st);
  }
  if (strategy.contains("bake")) {
    auto b = seconds(strategy["bake"], "strategy.bake");
    if (!b) return std::unexpected(b.error());
    p.bakeS = *b;
  }
  p.onInconclusive = block.value("on_inconclusive", std::string("pause"));
  p.analyses = analysis::AnalysisBlock::analysesOf(service, hotfix);
  auto cfg = analysis::AnalysisBlock::judgeConfig(block, p.analyses);
  if (!cfg) return std::unexpected(cfg.error());
  p.judge = *cfg;
  return p;
}

}  // namespace ramp::bench
