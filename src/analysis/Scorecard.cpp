#include "analysis/Scorecard.h"

#include <cmath>
#include <map>

#include <fmt/format.h>

namespace ramp::analysis {

namespace {

struct GroupTally {
  double success = 0, failure = 0, undecided = 0, nodata = 0;
};

std::string joinReasons(const std::vector<const MetricResult*>& ms) {
  std::string out;
  for (const auto* m : ms) out += (out.empty() ? "" : "; ") + m->name + ": " + m->reason;
  return out;
}

}  // namespace

Verdict Scorecard::score(std::vector<MetricResult> metrics, const JudgeConfig& config, bool final) {
  Verdict v;
  v.metrics = std::move(metrics);
  const auto& ms = v.metrics;
  const Outcome undecidedOutcome = final ? Outcome::kInconclusive : Outcome::kContinue;

  std::map<std::string, GroupTally> groups;
  size_t nodata = 0;
  std::vector<const MetricResult*> failed, undecided, noData, all;
  bool criticalOk = true;
  for (const auto& m : ms) {
    auto& g = groups[m.group.empty() ? m.name : m.group];
    all.push_back(&m);
    if (m.classification == Classification::kNoData) {
      ++nodata;
      g.nodata += 1;
      noData.push_back(&m);
      criticalOk = criticalOk && !m.critical;
    } else if (m.failure()) {
      g.failure += 1;
      failed.push_back(&m);
      criticalOk = criticalOk && !m.critical;
    } else if (m.success()) {
      g.success += 1;
    } else {
      g.undecided += 1;
      undecided.push_back(&m);
      criticalOk = criticalOk && !m.critical;
    }
  }

  // Group weights: configured ones, the rest shared equally.
  double configured = 0;
  size_t unweighted = 0;
  for (const auto& [name, t] : groups) {
    auto it = config.groupWeights.find(name);
    if (it != config.groupWeights.end()) configured += it->second; else ++unweighted;
  }
  double share = unweighted ? std::max(0.0, 100 - configured) / static_cast<double>(unweighted) : 0;
  double wsum = 0, opt = 0, pess = 0;
  nlohmann::json groupJson = nlohmann::json::object();
  for (const auto& [name, t] : groups) {
    auto it = config.groupWeights.find(name);
    double w = it != config.groupWeights.end() ? it->second : share;
    double counted = t.success + t.failure + t.undecided;
    double o = counted > 0 ? 100 * (t.success + t.undecided) / counted : 100;
    double p = counted > 0 ? 100 * t.success / counted : 100;
    groupJson[name] = {{"weight", w}, {"score_optimistic", o}, {"score_pessimistic", p},
                       {"pass", t.success}, {"fail", t.failure}, {"undecided", t.undecided}, {"nodata", t.nodata}};
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
  opt = std::round(opt * 100) / 100;
  pess = std::round(pess * 100) / 100;
  v.details = {{"groups", groupJson},
               {"score_optimistic", opt},
               {"score_pessimistic", pess},
               {"pass_score", config.passScore},
               {"marginal_score", config.marginalScore},
               {"final", final}};

  for (const auto* m : failed) {
    if (m->critical) {
      v.outcome = Outcome::kFail;
      v.score = 0;
      v.reason = fmt::format("critical metric {} failed: {}", m->name, m->reason);
      return v;
    }
  }
  if (!ms.empty() && 2 * nodata >= ms.size()) {
    v.outcome = undecidedOutcome;
    v.score = pess;
    v.reason = fmt::format("{} of {} metrics have no data (50% or more) — {}: {}", nodata, ms.size(),
                           final ? "inconclusive" : "waiting", joinReasons(noData));
    return v;
  }
  if (opt < config.marginalScore) {
    v.outcome = Outcome::kFail;
    v.score = opt;
    v.reason = fmt::format("score {:.4g} < marginal {:.4g}: {}", opt, config.marginalScore, joinReasons(failed));
    return v;
  }
  if (pess >= config.passScore && criticalOk) {
    v.outcome = Outcome::kPass;
    v.score = pess;
    v.reason = fmt::format("score {:.4g} >= pass {:.4g}: {}", pess, config.passScore, joinReasons(all));
    return v;
  }
  v.score = pess;
  v.outcome = undecidedOutcome;
  if (!undecided.empty() || !criticalOk) {
    std::vector<const MetricResult*> waiting = undecided;
    for (const auto* m : noData)
      if (m->critical) waiting.push_back(m);
    v.reason = fmt::format("{} on {}: {}", final ? "no decision" : "waiting for evidence",
                           [&] {
                             std::string s;
                             for (const auto* m : waiting) s += (s.empty() ? "" : ", ") + m->name;
                             return s;
                           }(),
                           joinReasons(waiting));
  } else {
    v.reason = fmt::format("score {:.4g} is marginal (>= {:.4g}, < pass {:.4g}): {}", pess, config.marginalScore,
                           config.passScore, joinReasons(failed));
  }
  return v;
}

}  // namespace ramp::analysis
