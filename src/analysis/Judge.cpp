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

// An inconclusive look at the step's deadline, ruled by the bounded-harm
// rule (HarmBound.h): a pass when `harm` (the tolerated harm, in words) is
// ruled out; otherwise the reason adds that it is not. `noEvidence` words
// the look's own finding ("no evidence of harm").
template <class Look, class Harm>
void ruleAtDeadline(Look& look, const Harm& h, std::string_view noEvidence, const std::string& harm) {
  look.result.stats["at_deadline"] = h.toJson();
  const std::string observed = look.result.reason.substr(0, look.result.reason.find(": "));
  if (h.pass) {
    look.state.decision = +1;
    look.result.classification = Classification::kPass;
    look.result.reason = fmt::format("{}: at the deadline, {} and {} ruled out ({}) — canary within the tolerated harm",
                                     observed, noEvidence, harm, h.sentence());
  } else {
    look.result.reason += fmt::format("; at the deadline, {} not ruled out: {}", harm, h.sentence());
  }
}

// The per-metric states of one kind (`key`: "error_rate", "latency"), when present.
template <class State>
Status readStates(const nlohmann::json& j, const std::string& key, const std::string& where,
                  std::map<std::string, State>& out) {
  if (!j.contains(key)) return ok();
  if (!j[key].is_object()) return invalid("must be an object", where + "." + key);
  for (auto it = j[key].begin(); it != j[key].end(); ++it) {
    auto s = State::fromJson(it.value(), where + "." + key + "." + it.key());
    if (!s) return std::unexpected(s.error());
    out[it.key()] = *s;
  }
  return ok();
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
        ruleAtDeadline(*out, h, "no evidence of harm", fmt::format("harm of x{:.3g}", h.limitRatio));
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
        ruleAtDeadline(*out, h, "no evidence of a slowdown", fmt::format("a median x{:.3g} slower", h.limitRatio));
        if (h.pass) out->state.latched = static_cast<int>(Classification::kPass);
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
  if (auto r = readStates(j, "error_rate", where, s.errorRate); !r) return std::unexpected(r.error());
  if (auto r = readStates(j, "latency", where, s.latency); !r) return std::unexpected(r.error());
  return s;
}

}  // namespace ramp::analysis
