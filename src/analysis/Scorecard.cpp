#include "analysis/Scorecard.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "analysis/MetricForecast.h"

namespace ramp::analysis {

namespace {

struct GroupTally {
  double success = 0, failure = 0, undecided = 0, nodata = 0;
};

// "a: reason of a; b: reason of b", the given metrics first, then the rest;
// with named = false the first metric's name is left out (the sentence
// before it has named it).
std::string everyReason(const std::vector<const MetricResult*>& first, const std::vector<MetricResult>& all,
                        bool named = true) {
  std::string out;
  auto add = [&](const MetricResult& m) {
    const bool bare = !named && out.empty();
    out += (out.empty() ? "" : "; ") + (bare ? m.reason : m.name + ": " + m.reason);
  };
  for (const auto* m : first) add(*m);
  for (const auto& m : all)
    if (std::find(first.begin(), first.end(), &m) == first.end()) add(m);
  return out;
}

std::string names(const std::vector<const MetricResult*>& ms) {
  std::string s;
  for (const auto* m : ms) s += (s.empty() ? "" : ", ") + m->name;
  return s;
}

bool undecided(const MetricResult& m) {
  return m.classification != Classification::kNoData && !m.failure() && !m.success();
}

// The verdict-level forecast: make metrics succeed (fail) in the order of
// their own forecasts until the scores say pass (fail).
nlohmann::json verdictForecast(const std::vector<MetricResult>& ms, const JudgeConfig& config) {
  auto forecastOf = [](const MetricResult& m) {
    return MetricForecast::fromJson(m.stats.is_object() ? m.stats.value("forecast", nlohmann::json()) : nlohmann::json());
  };
  auto reach = [&](bool pass) -> std::optional<double> {
    std::vector<MetricResult> probe = ms;
    std::vector<std::pair<double, size_t>> order;
    for (size_t i = 0; i < probe.size(); ++i) {
      const auto f = forecastOf(probe[i]);
      const auto& k = pass ? f.passRequests : f.failRequests;
      if (k && !(pass ? probe[i].success() : probe[i].failure())) order.push_back({*k, i});
    }
    std::sort(order.begin(), order.end());
    auto decided = [&] {
      auto t = Scorecard::tally(probe, config);
      return pass ? Scorecard::passes(t, config, probe.size()) : Scorecard::fails(t, config, probe.size());
    };
    if (decided()) return 0.0;
    for (const auto& [k, i] : order) {
      probe[i].classification = pass ? Classification::kPass : Classification::kHigh;
      probe[i].direction = Direction::kIncrease;
      if (decided()) return k;
    }
    return std::nullopt;
  };
  MetricForecast f{reach(true), reach(false)};
  nlohmann::json j = f.toJson();
  std::optional<double> next;
  std::string decision;
  if (f.passRequests && (!f.failRequests || *f.passRequests <= *f.failRequests)) next = f.passRequests, decision = "pass";
  else if (f.failRequests) next = f.failRequests, decision = "fail";
  j["requests"] = next ? nlohmann::json(static_cast<uint64_t>(std::ceil(*next))) : nlohmann::json(nullptr);
  j["decision"] = decision.empty() ? nlohmann::json(nullptr) : nlohmann::json(decision);
  return j;
}

}  // namespace

Scorecard::Tally Scorecard::tally(const std::vector<MetricResult>& ms, const JudgeConfig& config) {
  Tally t;
  std::map<std::string, GroupTally> groups;
  for (const auto& m : ms) {
    auto& g = groups[m.group.empty() ? m.name : m.group];
    const double w = m.weight;
    if (m.classification == Classification::kNoData) {
      ++t.nodata;
      g.nodata += w;
      t.criticalOk = t.criticalOk && !m.critical;
    } else if (m.failure()) {
      g.failure += w;
      t.criticalOk = t.criticalOk && !m.critical;
      t.criticalFailed = t.criticalFailed || m.critical;
    } else if (m.success()) {
      g.success += w;
    } else {
      g.undecided += w;
      t.criticalOk = t.criticalOk && !m.critical;
    }
  }
  // Group weights: configured ones, the rest shared equally.
  double configured = 0;
  size_t unweighted = 0;
  for (const auto& [name, gt] : groups) {
    auto it = config.groupWeights.find(name);
    if (it != config.groupWeights.end()) configured += it->second; else ++unweighted;
  }
  double share = unweighted ? std::max(0.0, 100 - configured) / static_cast<double>(unweighted) : 0;
  double wsum = 0, opt = 0, pess = 0;
  for (const auto& [name, gt] : groups) {
    auto it = config.groupWeights.find(name);
    double w = it != config.groupWeights.end() ? it->second : share;
    double counted = gt.success + gt.failure + gt.undecided;
    double o = counted > 0 ? 100 * (gt.success + gt.undecided) / counted : 100;
    double p = counted > 0 ? 100 * gt.success / counted : 100;
    t.groups[name] = {{"weight", w}, {"score_optimistic", o}, {"score_pessimistic", p}, {"pass", gt.success},
                      {"fail", gt.failure}, {"undecided", gt.undecided}, {"nodata", gt.nodata}};
    wsum += w;
    opt += w * o;
    pess += w * p;
  }
  if (wsum > 0) {
    opt /= wsum;
    pess /= wsum;
  } else {
    opt = pess = 100;
  }
  t.optimistic = std::round(opt * 100) / 100;
  t.pessimistic = std::round(pess * 100) / 100;
  return t;
}

bool Scorecard::fails(const Tally& t, const JudgeConfig& config, size_t metrics) {
  if (t.criticalFailed) return true;
  if (metrics > 0 && 2 * t.nodata >= metrics) return false;
  return t.optimistic < config.marginalScore;
}

bool Scorecard::passes(const Tally& t, const JudgeConfig& config, size_t metrics) {
  if (t.criticalFailed || (metrics > 0 && 2 * t.nodata >= metrics)) return false;
  if (t.optimistic < config.marginalScore) return false;
  return t.pessimistic >= config.passScore && t.criticalOk;
}

Verdict Scorecard::score(std::vector<MetricResult> metrics, const JudgeConfig& config, bool final) {
  Verdict v;
  v.metrics = std::move(metrics);
  const auto& ms = v.metrics;
  const Outcome undecidedOutcome = final ? Outcome::kInconclusive : Outcome::kContinue;
  const Tally t = tally(ms, config);
  v.details = {{"groups", t.groups},
               {"score_optimistic", t.optimistic},
               {"score_pessimistic", t.pessimistic},
               {"pass_score", config.passScore},
               {"marginal_score", config.marginalScore},
               {"final", final},
               {"forecast", verdictForecast(ms, config)}};

  std::vector<const MetricResult*> failed, waiting, noData;
  for (const auto& m : ms) {
    if (m.classification == Classification::kNoData) noData.push_back(&m);
    else if (m.failure()) failed.push_back(&m);
    else if (undecided(m)) waiting.push_back(&m);
  }
  for (const auto* m : failed) {
    if (m->critical) {
      v.outcome = Outcome::kFail;
      v.score = 0;
      v.reason = fmt::format("critical metric {} failed: {}", m->name, everyReason({m}, ms, false));
      return v;
    }
  }
  if (!ms.empty() && 2 * t.nodata >= ms.size()) {
    v.outcome = undecidedOutcome;
    v.score = t.pessimistic;
    v.reason = fmt::format("{} of {} metrics have no data (50% or more) — {}: {}", t.nodata, ms.size(),
                           final ? "inconclusive" : "waiting", everyReason(noData, ms));
    return v;
  }
  if (t.optimistic < config.marginalScore) {
    v.outcome = Outcome::kFail;
    v.score = t.optimistic;
    v.reason = fmt::format("score {:.4g} < marginal {:.4g}: {}", t.optimistic, config.marginalScore,
                           everyReason(failed, ms));
    return v;
  }
  if (t.pessimistic >= config.passScore && t.criticalOk) {
    v.outcome = Outcome::kPass;
    v.score = t.pessimistic;
    v.reason = fmt::format("score {:.4g} >= pass {:.4g}: {}", t.pessimistic, config.passScore, everyReason({}, ms));
    return v;
  }
  v.score = t.pessimistic;
  v.outcome = undecidedOutcome;
  for (const auto* m : noData)
    if (m->critical) waiting.push_back(m);
  if (!waiting.empty()) {
    v.reason = fmt::format("{} on {}: {}", final ? "no decision" : "waiting for evidence", names(waiting),
                           everyReason(waiting, ms));
  } else {
    v.reason = fmt::format("score {:.4g} is marginal (>= {:.4g}, < pass {:.4g}): {}", t.pessimistic,
                           config.marginalScore, config.passScore, everyReason(failed, ms));
  }
  return v;
}

}  // namespace ramp::analysis
