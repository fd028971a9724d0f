#include "DeploymentSim.h"

#include <algorithm>
#include <deque>
#include <stdexcept>

#include "analysis/Judge.h"

namespace ramp::bench {

using analysis::Judge;
using analysis::JudgeState;
using analysis::Outcome;

DeploymentSim::DeploymentSim(const SimPlan& plan, double totalRate, ServiceProfile stable, ServiceProfile canary,
                             double personDelayS)
    : plan_(plan),
      total_(totalRate),
      stable_(stable),
      canary_(canary),
      stableProbs_(SimFleet::bucketProbs(stable)),
      canaryProbs_(SimFleet::bucketProbs(canary)),
      personDelayS_(personDelayS) {}

DeploymentRun DeploymentSim::run(std::mt19937_64& rng) const {
  DeploymentRun r;
  SimFleet stable, canary;
  int weight = 0;
  double t = 0;
  // The stable fleet's counters, one per second, as far back as the bake needs.
  std::deque<std::pair<double, SimFleet>> history{{0.0, stable}};
  auto tick = [&](double dt) {
    canary.serve(rng, total_ * weight / 100.0 * dt, canaryProbs_, canary_.errorRate);
    stable.serve(rng, total_ * (100 - weight) / 100.0 * dt, stableProbs_, stable_.errorRate);
    t += dt;
    if (plan_.bakeS > 0 && t - history.back().first >= 1.0 - 1e-9) {
      history.push_back({t, stable});
      while (history.size() > 2 && history[1].first <= t - plan_.bakeS) history.pop_front();
    }
  };
  auto look = [&](JudgeState& st, const analysis::Measurements& c, const analysis::Measurements& b, bool final) {
    auto s = Judge::step(std::move(st), c, b, plan_.judge, final);
    if (!s) throw std::runtime_error(s.error().describe());
    st = std::move(s->state);
    return s->verdict.outcome;
  };

  double firstAnalysisAt = NAN;
  for (size_t i = 0; i < plan_.steps.size(); ++i) {
    const auto& s = plan_.steps[i];
    if (s.kind == SimPlan::Step::Kind::kWeight) {
      weight = s.weight;
      if (weight >= 100) break;
      continue;
    }
    if (s.kind == SimPlan::Step::Kind::kPause) {
      for (double el = 0; el < (s.pauseS > 0 ? s.pauseS : personDelayS_); el += 1) tick(1);
      continue;
    }
    const SimFleet c0 = canary, s0 = stable;
    if (std::isnan(firstAnalysisAt)) firstAnalysisAt = t;
    JudgeState st;
    double el = 0;
    Outcome o = Outcome::kContinue;
    while (o == Outcome::kContinue) {
      tick(s.intervalS);
      el += s.intervalS;
      o = look(st, canary.since(c0), stable.since(s0), el >= s.deadlineS - 1e-9);
    }
    if (o == Outcome::kPass) {
      r.stepSeconds.push_back(el);
      r.deadlinePasses += el >= s.deadlineS - 1e-9;
      continue;
    }
    r.stepSeconds.push_back(NAN);
    if (o == Outcome::kFail) {
      r.rolledBack = true;
      r.step = static_cast<int>(i);
      r.secondsToRollback = t - firstAnalysisAt;
      r.seconds = t;
      return r;
    }
    // Inconclusive at the deadline.
    ++r.personPauses;
    if (plan_.onInconclusive == "rollback") {
      r.policyRollback = true;
      r.step = static_cast<int>(i);
      r.seconds = t;
      return r;
    }
    // Waiting for a person: the judge keeps looking (the same test, so no
    // new budget) and rolls back on evidence of harm.
    const int before = weight;
    if (plan_.onInconclusive == "pause_at_zero") weight = 0;
    for (double waited = 0; waited < personDelayS_;) {
      tick(s.intervalS);
      waited += s.intervalS;
      el += s.intervalS;
      if (look(st, canary.since(c0), stable.since(s0), false) == Outcome::kFail) {
        r.rolledBack = r.whilePaused = true;
        r.step = static_cast<int>(i);
        r.secondsToRollback = t - firstAnalysisAt;
        r.seconds = t;
        return r;
      }
    }
    // The person resumes: the canary's weight is back, the next step follows.
    weight = before;
  }

  // The switch: the canary takes everything; the bake judges it against the
  // stable fleet's window of the bake's length before the switch.
  weight = 100;
  if (plan_.bakeS > 0) {
    const SimFleet blueTo = stable;
    SimFleet blueFrom = history.front().second;
    for (const auto& [ts, snap] : history)
      if (ts <= t - plan_.bakeS + 1e-9) blueFrom = snap;
    const auto blue = blueTo.since(blueFrom);
    const SimFleet g0 = canary;
    JudgeState st;
    Outcome o = Outcome::kContinue;
    double el = 0;
    while (o == Outcome::kContinue) {
      tick(1);
      el += 1;
      o = look(st, canary.since(g0), blue, el >= plan_.bakeS - 1e-9);
    }
    if (o == Outcome::kFail) {
      r.rolledBack = r.inBake = true;
      r.secondsToRollback = std::isnan(firstAnalysisAt) ? el : t - firstAnalysisAt;
    }
    r.bakeInconclusive = o == Outcome::kInconclusive;
    // The bake lasts its full length whatever the judge says early.
    t += std::max(0.0, plan_.bakeS - el);
  }
  r.seconds = t;
  return r;
}

}  // namespace ramp::bench
