#include "analysis/Judge.h"

#include <fmt/format.h>

#include "analysis/HarmBound.h"
#include "analysis/LatencySample.h"
#include "analysis/Scorecard.h"

namespace ramp::analysis {

namespace {

// The result of a metric with no data on one side (`reason` says which).
MetricResult noData(const MetricSpec& spec, Direction direction, std::string reason) {
  auto r = MetricResult::of(spec, spec.kind, direction);
  r.classification = Classification::kNoData;
  r.reason = std::move(reason);
  return r;
}

Result<Judge::Step> run(JudgeState state, const Measurements& canary, const Measurements& baseline,
                        const JudgeConfig& config, bool final, bool sequential) {
  if (auto s = config.validate(); !s) return std::unexpected(s.error());
  std::vector<MetricResult> results;
  state.looks += 1;
  for (const auto& spec : config.metrics) {
    if (spec.kind == MetricKind::kErrorRate) {
      auto ci = canary.errors.find(spec.name);
      auto bi = baseline.errors.find(spec.name);
      if (ci == canary.errors.end() || bi == baseline.errors.end()) {
        results.push_back(noData(spec, Direction::kIncrease, fmt::format("no error counts for the {}",
                                                                   ci == canary.errors.end() ? "canary" : "baseline")));
        continue;
      }
      auto out = ErrorRateTest::look(state.errorRate[spec.name], ci->second, bi->second, config.errorRate, spec);
      if (!out) return std::unexpected(out.error());
      if (final && config.errorRate.tolerance > 0 && out->result.classification == Classification::kInconclusive) {
        // The step's deadline without evidence either way: the bounded-harm rule (HarmBound.h).
        const ErrorRateHarm h = HarmBound::errorRate(ci->second, bi->second, config.errorRate);
        out->result.stats["at_deadline"] = h.toJson();
        const std::string counts = out->result.reason.substr(0, out->result.reason.find(": "));
        if (h.pass) {
          out->state.decision = +1;
          out->result.classification = Classification::kPass;
          out->result.reason = fmt::format(
              "{}: at the deadline, no evidence of harm and harm of x{:.3g} ruled out ({}) — canary within the "
              "tolerated harm",
              counts, h.limitRatio, h.sentence());
        } else {
          out->result.reason += fmt::format("; at the deadline, harm of x{:.3g} not ruled out: {}", h.limitRatio,
                                            h.sentence());
        }
      }
      state.errorRate[spec.name] = std::move(out->state);
      results.push_back(std::move(out->result));
    } else {
      auto ci = canary.latency.find(spec.name);
      auto bi = baseline.latency.find(spec.name);
      if (ci == canary.latency.end() || bi == baseline.latency.end()) {
        results.push_back(noData(spec, spec.direction, fmt::format("no latency data for the {}",
                                                             ci == canary.latency.end() ? "canary" : "baseline")));
        continue;
      }
      auto out = LatencyTest::look(state.latency[spec.name], ci->second, bi->second, config.latency, spec,
                                   sequential);
      if (!out) return std::unexpected(out.error());
      if (final && config.latency.deadlineTolerance > 0 &&
          out->result.classification == Classification::kInconclusive) {
        // The step's deadline without a decision: the bounded-harm rule for latency (HarmBound.h).
        auto c = LatencySample::of(ci->second, "canary." + spec.name, config.latency.outlierFactor);
        auto b = LatencySample::of(bi->second, "baseline." + spec.name, config.latency.outlierFactor);
        if (!c) return std::unexpected(c.error());
        if (!b) return std::unexpected(b.error());
        const LatencyHarm h =
            HarmBound::latency(*c, *b, config.latency, spec.direction, config.latencyDeadlineLevel());
        out->result.stats["at_deadline"] = h.toJson();
        const std::string medians = out->result.reason.substr(0, out->result.reason.find(": "));
        if (h.pass) {
          out->state.decision = +1;
          out->state.latched = static_cast<int>(Classification::kPass);
          out->result.classification = Classification::kPass;
          out->result.reason = fmt::format(
              "{}: at the deadline, no evidence of a slowdown and a median x{:.3g} slower ruled out ({}) — canary "
              "within the tolerated harm",
              medians, h.limitRatio, h.sentence());
        } else {
          out->result.reason += fmt::format("; at the deadline, a median x{:.3g} slower not ruled out: {}",
                                            h.limitRatio, h.sentence());
        }
      }
      state.latency[spec.name] = out->state;
      results.push_back(std::move(out->result));
    }
  }
  Verdict v = Scorecard::score(std::move(results), config, final);
  v.details["look"] = state.looks;
  v.details["mode"] = sequential ? "sequential" : "fixed";
  return Judge::Step{std::move(v), std::move(state)};
}

}  // namespace

Result<Verdict> Judge::judge(const Measurements& canary, const Measurements& baseline, const JudgeConfig& config) {
  auto s = run(JudgeState{}, canary, baseline, config, /*final=*/true, /*sequential=*/false);
  if (!s) return std::unexpected(s.error());
  return std::move(s->verdict);
}

Result<Judge::Step> Judge::step(JudgeState state, const Measurements& canary, const Measurements& baseline,
                                const JudgeConfig& config, bool final) {
  return run(std::move(state), canary, baseline, config, final, /*sequential=*/true);
}

nlohmann::json JudgeState::toJson() const {
  nlohmann::json j = {{"looks", looks}, {"error_rate", nlohmann::json::object()}, {"latency", nlohmann::json::object()}};
  for (const auto& [k, v] : errorRate) j["error_rate"][k] = v.toJson();
  for (const auto& [k, v] : latency) j["latency"][k] = v.toJson();
  return j;
}

Result<JudgeState> JudgeState::fromJson(const nlohmann::json& j, const std::string& where) {
  JudgeState s;
  if (!j.is_object()) return invalid("judge state must be an object", where);
  if (!j.contains("looks") || !j["looks"].is_number_integer() || j["looks"].get<int64_t>() < 0)
    return invalid("needs an integer 'looks' >= 0", where + ".looks");
  s.looks = j["looks"].get<uint64_t>();
  if (j.contains("error_rate")) {
    if (!j["error_rate"].is_object()) return invalid("must be an object", where + ".error_rate");
    for (auto it = j["error_rate"].begin(); it != j["error_rate"].end(); ++it) {
      auto e = ErrorRateState::fromJson(it.value(), where + ".error_rate." + it.key());
      if (!e) return std::unexpected(e.error());
      s.errorRate[it.key()] = *e;
    }
  }
  if (j.contains("latency")) {
    if (!j["latency"].is_object()) return invalid("must be an object", where + ".latency");
    for (auto it = j["latency"].begin(); it != j["latency"].end(); ++it) {
      auto l = LatencyState::fromJson(it.value(), where + ".latency." + it.key());
      if (!l) return std::unexpected(l.error());
      s.latency[it.key()] = *l;
    }
  }
  return s;
}

}  // namespace ramp::analysis
