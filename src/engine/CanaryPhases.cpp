#include "engine/CanaryPhases.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "analysis/DecisionForecast.h"
#include "analysis/Judge.h"
#include "engine/CounterSnapshot.h"
#include "engine/CounterWindow.h"
#include "engine/WeightLease.h"

namespace ramp::engine {

using nlohmann::json;

// (CanaryPhases.h declares it.)
// Both fleets' counters now: the canary's, and the baseline's (a fresh
// fleet of the stable release when configured, else the stable fleet),
// with the values of the metrics read from a query server.
struct CanarySnapshot {
  CounterSnapshot canary;
  CounterSnapshot baseline;
  // What a verdict shows of this look besides the judge's own fields:
  // latency_source (aws: CloudWatch percentiles, or Average when none were
  // returned), query_errors (a query metric not read at this look: no new
  // data for it, the step's deadline still stands), progress.
  json shown = json::object();
};

namespace {

Result<CanarySnapshot> snapshot(RunContext& ctx) {
  const auto& d = ctx.d;
  const auto& plan = ctx.plan;
  auto c = ctx.parts.metrics.fleetMetrics(ctx.key(), d.newFleet);
  if (!c) return std::unexpected(c.error());
  const std::string baselineFleet = d.baselineFleet.empty() ? d.oldFleet : d.baselineFleet;
  auto b = ctx.parts.metrics.fleetMetrics(ctx.key(), baselineFleet);
  if (!b) return std::unexpected(b.error());
  CanarySnapshot snap{CounterSnapshot::of(*c), CounterSnapshot::of(*b), json::object()};
  if (!c->latencySource.empty()) snap.shown["latency_source"] = c->latencySource;
  // Metrics read from a query server: each side's cumulative value, its
  // queries filled with that side's fleet and release.
  const json metrics = plan.analysis.value("metrics", json::array());
  const json server = plan.analysis.value("prometheus", json::object());
  for (size_t i = 0; metrics.is_array() && i < metrics.size(); ++i) {
    if (!CounterSnapshot::isQueryMetric(metrics[i])) continue;
    const std::string name = metrics[i].value("name", "");
    for (const auto& [side, fleet, version, into] :
         {std::tuple{"canary", d.newFleet, d.version, &snap.canary},
          std::tuple{"baseline", baselineFleet, d.oldVersion, &snap.baseline}}) {
      std::map<std::string, std::string> values{
          {"fleet", fleet}, {"release", version}, {"service", d.service}, {"env", d.env}, {"region", d.region}};
      auto v = ctx.parts.queries.read(server, metrics[i], i, values);
      if (v) {
        into->metrics[name] = *v;
      } else {
        snap.shown["query_errors"].push_back(std::string(side) + ": " + v.error().describe());
      }
    }
  }
  return snap;
}

// The canary's weight in effect before step `step` (its last weight step).
int weightBefore(const ServicePlan& plan, int step) {
  int weight = 0;
  for (int i = 0; i + 1 < step && i < static_cast<int>(plan.steps.size()); ++i) {
    if (plan.steps[static_cast<size_t>(i)].kind == StepPlan::Kind::kWeight) weight = plan.steps[static_cast<size_t>(i)].weight;
  }
  return weight;
}

// Sets the canary's weight (and the pin) in the traffic plan; the data
// plane is made to match.
Status setWeight(RunContext& ctx, int weight) {
  const auto& d = ctx.d;
  const auto& plan = ctx.plan;
  // Held under the weight lease: should this controller stop renewing it,
  // the data plane sends everything back to the stable fleet.
  const int64_t lease = plan.weightLease.count();
  auto tp = ctx.editTraffic([&](TrafficPlan& p) {
    if (d.baselineFleet.empty()) {
      p.split(d.oldFleet, d.newFleet, weight, lease);
    } else {
      p.split(d.oldFleet, d.baselineFleet, d.newFleet, weight, lease);
    }
    if (!plan.pinHeader.empty() || !plan.pinCookie.empty()) {
      // Chosen users (a header or cookie) see the canary whatever its weight.
      p.pin = providers::Pinning{plan.pinHeader, plan.pinCookie, d.newFleet};
    }
    // A canary that no user reaches (pause_at_zero without a pin) risks
    // nothing: no lease to run out.
    if (weight == 0 && !p.pin) p.leaseMs = 0;
  });
  if (!tp) return std::unexpected(tp.error());
  return ok();
}

// The verdict's `progress` (docs/analysis.md "While it runs"): step, the
// canary's weight, seconds elapsed and to the deadline, both fleets'
// requests and errors since the step began, the canary's rate, and the
// forecast of a decision in time and weight (analysis::DecisionForecast).
// `c`, `b`: the router's counts of both fleets since the step began (what
// users saw), through the counter windows.
json progressOf(RunContext& ctx, const analysis::ErrorCounts& c, const analysis::ErrorCounts& b,
                const analysis::Verdict& verdict) {
  const auto& d = ctx.d;
  const auto& plan = ctx.plan;
  const int64_t now = ctx.now;
  const int64_t deadline = d.analysis.deadlineAt;
  const int64_t duration = d.step >= 1 && d.step <= static_cast<int>(plan.steps.size())
                               ? plan.steps[static_cast<size_t>(d.step - 1)].analysisDuration.count()
                               : 0;
  const int64_t started = d.analysis.startedAt ? d.analysis.startedAt : deadline - duration;
  const double elapsed = std::max<int64_t>(0, now - started) / 1000.0;
  const double left = std::max<int64_t>(0, deadline - now) / 1000.0;
  const double perSecond = elapsed > 0 ? c.requests / elapsed : 0;
  const int weight = d.analysis.zeroedWeight ? 0 : weightBefore(plan, d.step);
  const json forecast = verdict.details.is_object() ? verdict.details.value("forecast", json()) : json();
  return {{"step", d.step},
          {"weight", weight},
          {"elapsed_s", std::round(elapsed * 10) / 10},
          {"deadline_in_s", std::round(left * 10) / 10},
          {"canary", {{"requests", c.requests}, {"errors", c.errors}, {"per_second", std::round(perSecond * 10) / 10}}},
          {"baseline", {{"requests", b.requests}, {"errors", b.errors}}},
          {"forecast", analysis::DecisionForecast::of(forecast, perSecond, left, weight).toJson()}};
}

// One look of the judge at the armed analysis (d.analysis): snapshot,
// differences since the step began, Judge::step; the judge's state is
// updated in d.analysis (not committed). `snapOut` gets the snapshot.
Result<analysis::Judge::Step> look(RunContext& ctx, const analysis::JudgeConfig& cfg, bool final, CanarySnapshot& snapOut) {
  auto& d = ctx.d;
  auto snap = snapshot(ctx);
  if (!snap) return std::unexpected(snap.error());
  // A query metric first read after the step began starts from its first
  // reading (a server down at the start must not lose the whole step).
  for (auto [now, start] : {std::pair{&snap->canary, &d.analysis.canaryStart},
                            std::pair{&snap->baseline, &d.analysis.baselineStart}}) {
    for (auto it = now->metrics.begin(); it != now->metrics.end(); ++it) {
      if (!start->metrics.contains(it.key())) start->metrics[it.key()] = it.value();
    }
  }
  const json metrics = ctx.plan.analysis.value("metrics", json::array());
  // The router's counters through a window per fleet that survives their
  // restart (CounterWindow.h; a record older than the windows starts them
  // at the step's start snapshot). The windows move only when both looks
  // succeed.
  json restart = json::object();
  std::map<std::string, analysis::ErrorCounts> routerCounts;  // what users saw, per side
  std::optional<CounterWindow> moved[2];
  auto measure = [&](int i, const char* side, const std::optional<CounterWindow>& kept, const CounterSnapshot& start,
                     const CounterSnapshot& now) -> Result<analysis::Measurements> {
    Result<CounterWindow> window = kept ? Result<CounterWindow>(*kept) : CounterWindow::startAt(start.toJson());
    if (!window) return std::unexpected(window.error());
    auto seen = window->look(now.toJson());
    if (!seen) return std::unexpected(seen.error());
    moved[i] = std::move(*window);
    if (seen->restarted) restart[side] = seen->restart;
    if (auto e = seen->measurements.errors.find("error_rate"); e != seen->measurements.errors.end()) {
      routerCounts[side] = e->second;
    }
    return CounterSnapshot::named(seen->measurements, start, now, metrics);
  };
  auto canary = measure(0, "canary", d.analysis.canaryWindow, d.analysis.canaryStart, snap->canary);
  if (!canary) return std::unexpected(canary.error());
  auto baseline = measure(1, "baseline", d.analysis.baselineWindow, d.analysis.baselineStart, snap->baseline);
  if (!baseline) return std::unexpected(baseline.error());
  d.analysis.canaryWindow = std::move(moved[0]);
  d.analysis.baselineWindow = std::move(moved[1]);
  if (!restart.empty()) {
    // The data plane's counters started again: measured through it.
    restart["step"] = d.step;
    if (auto st = ctx.audit("analysis.restart", restart); !st) return std::unexpected(st.error());
  }
  auto step = analysis::Judge::step(d.analysis.state, *canary, *baseline, cfg, final);
  if (!step) return std::unexpected(step.error());
  d.analysis.state = step->state;
  snap->shown["progress"] = progressOf(ctx, routerCounts["canary"], routerCounts["baseline"], step->verdict);
  snapOut = std::move(*snap);
  return step;
}

// A verdict as recorded: the judge's fields, the step, what the look shows.
json verdictJson(const Deployment& d, const analysis::Verdict& verdict, const CanarySnapshot& snap) {
  json vj = verdict.toJson();
  vj["step"] = d.step;
  for (auto it = snap.shown.begin(); it != snap.shown.end(); ++it) vj[it.key()] = it.value();
  return vj;
}

}  // namespace

Result<Transition> CanaryPhases::run(RunContext& ctx) {
  switch (ctx.d.phase) {
    case Phase::kCanaryStep: return step(ctx);
    case Phase::kCanaryVerify: return verify(ctx);
    case Phase::kCanaryPause: return pause(ctx);
    case Phase::kCanaryAnalysis: return analyse(ctx);
    default: break;
  }
  return internal(fmt::format("phase {} is not a canary phase", phaseName(ctx.d.phase)), ctx.d.id);
}

Result<Transition> CanaryPhases::step(RunContext& ctx) {
  auto& d = ctx.d;
  const auto& plan = ctx.plan;
  if (d.step < 1) d.step = 1;
  // Without a stable fleet there is nothing to compare with or to protect.
  if (d.oldFleet.empty() || d.step > static_cast<int>(plan.steps.size())) {
    // No stable fleet, or a record written before nextStep() held the
    // counter (it ran one past the last step).
    d.step = std::min(d.step, d.steps);
    return Transition::move(Phase::kSwitch, {{"canary", "all steps done"}});
  }
  const StepPlan& s = plan.steps[static_cast<size_t>(d.step - 1)];
  if (s.kind == StepPlan::Kind::kWeight) {
    // Scaling held from the first weight step until the final switch (or
    // rollback) is verified: verify_switch, rb_verify.
    if (auto st = ctx.holdScaling(true); !st) return std::unexpected(st.error());
    if (auto st = setWeight(ctx, s.weight); !st) return std::unexpected(st.error());
    return Transition::move(Phase::kCanaryVerify, {{"weight", s.weight}});
  }
  if (s.kind == StepPlan::Kind::kPause) {
    d.deadlineAt = s.pause ? ctx.now + s.pause->count() : 0;
    if (!s.pause) {
      d.state = kPaused;
      d.reason = fmt::format("paused at step {}/{} until a person resumes it (ramp resume {} --env {})", d.step,
                             d.steps, d.service, d.env);
    }
    return Transition::move(Phase::kCanaryPause);
  }
  // Analysis.
  auto snap = snapshot(ctx);
  if (!snap) return std::unexpected(snap.error());
  d.analysis = CanaryAnalysis{};
  d.analysis.armed = true;
  d.analysis.canaryStart = snap->canary;
  d.analysis.baselineStart = snap->baseline;
  auto canaryWindow = CounterWindow::startAt(snap->canary.toJson());
  if (!canaryWindow) return std::unexpected(canaryWindow.error());
  auto baselineWindow = CounterWindow::startAt(snap->baseline.toJson());
  if (!baselineWindow) return std::unexpected(baselineWindow.error());
  d.analysis.canaryWindow = std::move(*canaryWindow);
  d.analysis.baselineWindow = std::move(*baselineWindow);
  d.analysis.startedAt = ctx.now;
  d.analysis.deadlineAt = ctx.now + s.analysisDuration.count();
  d.analysis.nextLookAt = ctx.now + s.analysisInterval.count();
  d.analysis.restartsAtStart = restartsOf(ctx, d.newFleet).value_or(-1);
  return Transition::move(Phase::kCanaryAnalysis,
                          {{"duration_ms", s.analysisDuration.count()}, {"interval_ms", s.analysisInterval.count()}});
}

Result<Transition> CanaryPhases::verify(RunContext& ctx) {
  auto applied = ctx.weightsApplied();
  if (!applied) return std::unexpected(applied.error());
  if (!*applied) return Transition::wait();
  return nextStep(ctx);
}

Transition CanaryPhases::nextStep(RunContext& ctx, nlohmann::json data) {
  auto& d = ctx.d;
  if (d.step >= static_cast<int>(ctx.plan.steps.size())) {
    data["canary"] = "all steps done";
    return Transition::move(Phase::kSwitch, std::move(data));
  }
  d.step++;
  return Transition::move(Phase::kCanaryStep, std::move(data));
}

Result<Transition> CanaryPhases::pause(RunContext& ctx) {
  auto& d = ctx.d;
  bool unknown = false;
  if (auto alarm = ctx.firingAlarm(false, unknown)) {
    return ctx.startRollback(fmt::format("alarm {} is in ALARM (canary paused at step {}/{})", *alarm, d.step, d.steps),
                             {{"alarm", *alarm}});
  }
  bool untilResumed = d.deadlineAt == 0;
  if (!untilResumed && ctx.now < d.deadlineAt) return Transition::wait();
  // An until-resumed pause ends when the state is running again.
  if (d.analysis.zeroedWeight) {
    // on_inconclusive: pause_at_zero — the person resumed: the canary gets
    // its weight back before the next step.
    if (auto st = setWeight(ctx, *d.analysis.zeroedWeight); !st) return std::unexpected(st.error());
    d.analysis.zeroedWeight.reset();
  }
  d.analysis.watch = false;
  d.reason.clear();
  return nextStep(ctx);
}

Result<std::optional<Transition>> CanaryPhases::watchPaused(RunContext& ctx) {
  auto& d = ctx.d;
  const auto& plan = ctx.plan;
  const bool watching = d.phase == Phase::kCanaryAnalysis || (d.phase == Phase::kCanaryPause && d.analysis.watch);
  if (!watching || !d.analysis.armed) return std::nullopt;
  if (ctx.now < d.analysis.nextLookAt) return std::nullopt;
  auto cfg = CounterSnapshot::judgeConfig(plan.analysis, plan.analyses * std::max(1, static_cast<int>(d.waves.size())));
  if (!cfg) return std::nullopt;  // the deployment waits for a person anyway
  const int64_t interval = d.step >= 1 && d.step <= static_cast<int>(plan.steps.size())
                               ? plan.steps[static_cast<size_t>(d.step - 1)].analysisInterval.count()
                               : 1000;
  d.analysis.nextLookAt = ctx.now + std::max<int64_t>(interval, 100);
  CanarySnapshot snap;
  auto judged = look(ctx, *cfg, /*final=*/false, snap);
  // Not this time (a metric source down): the next look is at the next
  // interval, not at the next tick.
  if (!judged) return Transition::save();
  const auto& verdict = judged->verdict;
  json vj = verdictJson(d, verdict, snap);
  vj.erase("latency_source");
  vj["while"] = "paused";
  if (verdict.outcome != analysis::Outcome::kFail) {
    // Evidence for a pass only informs the person deciding; the latest
    // look is kept (as "continue") so status shows it.
    vj["verdict"] = "continue";
    d.keepVerdict(vj);
    return Transition::save();
  }
  d.keepVerdict(vj);
  if (auto st = ctx.audit("verdict", vj); !st) return std::unexpected(st.error());
  return ctx.startRollback(fmt::format("canary failed analysis at step {}/{} while paused for a person: {}", d.step,
                                       d.steps, verdict.reason),
                           {{"verdict", "fail"}, {"while", "paused"}});
}

Result<std::optional<Transition>> CanaryPhases::leaseRanOut(RunContext& ctx) {
  auto& d = ctx.d;
  const auto& plan = ctx.plan;
  const auto key = ctx.key();
  auto lease = ctx.parts.entrypoints.ranOut(key, d.newFleet);
  if (!lease) return std::unexpected(lease.error());
  if (!*lease) return std::nullopt;
  auto tp = ctx.parts.entrypoints.plan(key);
  if (!tp) return std::unexpected(tp.error());
  std::string why = WeightLease::describe(**lease, tp->stable, d.step, d.steps, plan.onLeaseExpiry);
  json data{{"lease", WeightLease::toJson(**lease)}, {"on_lease_expiry", plan.onLeaseExpiry}};
  if (plan.onLeaseExpiry == "resume") {
    // The held split again, and the current step from its beginning (an
    // analysis re-arms: new window, new deadline).
    if (auto st = ctx.audit("traffic.lease_resumed", data); !st) return std::unexpected(st.error());
    if (auto st = ctx.parts.entrypoints.reconcile(key, /*resumeRanOut=*/true); !st) return std::unexpected(st.error());
    d.reason = why + "; the canary's weight is back and step " + std::to_string(d.step) + " starts again";
    if (d.phase == Phase::kCanaryAnalysis) return Transition::move(Phase::kCanaryStep, std::move(data));
    return Transition::save();
  }
  // Roll back: the data plane already sends everything to the stable
  // fleet, which is what the rollback applies (and verifies) next.
  return ctx.startRollback(why, std::move(data));
}

Result<Transition> CanaryPhases::analyse(RunContext& ctx) {
  auto& d = ctx.d;
  const auto& plan = ctx.plan;
  const int64_t now = ctx.now;
  // The deadline first: every path below honours `final`.
  const bool final = now >= d.analysis.deadlineAt;
  if (!final && now < d.analysis.nextLookAt) return Transition::wait();
  // At the deadline an error ends the step inconclusive, with the error as
  // the reason; before it, the error is returned and the look repeated.
  auto inconclusiveAtDeadline = [&](const std::string& why) -> Result<Transition> {
    analysis::Verdict v;
    v.outcome = analysis::Outcome::kInconclusive;
    v.reason = "no verdict by the step's deadline: " + why;
    return decide(ctx, std::move(v), CanarySnapshot{});
  };

  bool alarmsUnknown = false;
  if (auto alarm = ctx.firingAlarm(true, alarmsUnknown)) {
    return ctx.startRollback(
        fmt::format("alarm {} is in ALARM (canary analysis at step {}/{})", *alarm, d.step, d.steps),
        {{"alarm", *alarm}});
  }
  if (d.analysis.restartsAtStart >= 0) {
    if (auto restarts = restartsOf(ctx, d.newFleet); restarts && *restarts - d.analysis.restartsAtStart >= kCrashLoopRestarts) {
      analysis::Verdict v;
      v.outcome = analysis::Outcome::kFail;
      v.reason = fmt::format("the canary's instances restarted {} times since the step began (a crash loop: {} or more "
                             "fail the step, whatever error rate the router's retries leave visible)",
                             *restarts - d.analysis.restartsAtStart, kCrashLoopRestarts);
      return decide(ctx, std::move(v), CanarySnapshot{});
    }
  }
  auto cfg = CounterSnapshot::judgeConfig(plan.analysis, plan.analyses * std::max(1, static_cast<int>(d.waves.size())));
  if (!cfg) {
    d.reason = "the analysis configuration is invalid: " + cfg.error().describe();
    d.endState = kFailed;
    return Transition::move(Phase::kRbSwitch);
  }
  const int64_t interval = plan.steps[static_cast<size_t>(d.step - 1)].analysisInterval.count();
  CanarySnapshot snap;
  auto judged = look(ctx, *cfg, final, snap);
  d.analysis.nextLookAt = now + interval;
  if (!judged && final) return inconclusiveAtDeadline(judged.error().describe());
  if (!judged) {
    // No error path skips the deadline: a look that cannot be made (a
    // metric source down, counters the window refuses) waits for the next
    // one, saying why (the event once per reason).
    std::string blind = judged.error().describe();
    std::string why = fmt::format("the judge cannot look at step {}/{} ({}); looking again every {} ms until the "
                                  "step's deadline at {}",
                                  d.step, d.steps, blind, interval, formatTime(fromUnixMillis(d.analysis.deadlineAt)));
    const bool changed = d.reason != why;
    d.reason = why;
    if (!changed) return Transition::save();
    return Transition::save("analysis.blind", {{"reason", blind}});
  }
  if (d.reason.starts_with("the judge cannot look")) d.reason.clear();
  auto verdict = judged->verdict;
  if (alarmsUnknown && verdict.outcome == analysis::Outcome::kPass) {
    // A pass needs the alarms known to be quiet: keep looking until the
    // deadline, then it is inconclusive.
    verdict.outcome = final ? analysis::Outcome::kInconclusive : analysis::Outcome::kContinue;
    verdict.reason = "the metrics pass but the alarm state is unknown (" + ctx.alarmError() + ")";
  }
  if (verdict.outcome == analysis::Outcome::kContinue) {
    // Keep only the latest "continue" so the record stays small.
    json cj = verdict.toJson();
    for (const char* k : {"query_errors", "progress"}) {
      if (snap.shown.contains(k)) cj[k] = snap.shown[k];
    }
    d.keepVerdict(std::move(cj));
    return Transition::save();
  }
  return decide(ctx, std::move(verdict), snap);
}

std::optional<int> CanaryPhases::restartsOf(RunContext& ctx, const std::string& id) {
  auto st = ctx.parts.fleets.fleetStatus(id);
  if (!st || !st->exists) return std::nullopt;
  int restarts = 0;
  for (const auto& i : st->instances) {
    if (i.state != "replaced") restarts += i.restarts;  // a replaced one's count lives on in its successor
  }
  return restarts;
}

Result<Transition> CanaryPhases::decide(RunContext& ctx, analysis::Verdict verdict, const CanarySnapshot& snap) {
  auto& d = ctx.d;
  const auto& plan = ctx.plan;
  std::string outcome(analysis::outcomeName(verdict.outcome));
  json vj = verdictJson(d, verdict, snap);
  d.keepVerdict(vj);
  if (auto st = ctx.audit("verdict", vj); !st) return std::unexpected(st.error());
  if (verdict.outcome == analysis::Outcome::kPass) {
    return nextStep(ctx, {{"verdict", outcome}});
  }
  const std::string policy = plan.analysis.value("on_inconclusive", std::string("pause"));
  bool rollback = verdict.outcome == analysis::Outcome::kFail || policy == "rollback";
  if (rollback) {
    // The stable fleet still serves (100 - weight)% and was never scaled
    // down; rb_capacity checks it is healthy before it takes everything.
    std::string why = fmt::format("canary {} at step {}/{}: {}",
                                  outcome == "fail" ? "failed analysis" : "inconclusive", d.step, d.steps,
                                  verdict.reason);
    return ctx.startRollback(why, {{"verdict", outcome}});
  }
  // Inconclusive: wait for a person (resume continues with the next step,
  // rollback / abort undo the canary) while the judge keeps looking.
  d.state = kPaused;
  d.deadlineAt = 0;
  d.analysis.watch = true;
  std::string meanwhile = "the judge keeps looking and rolls back on evidence of harm";
  json data{{"verdict", outcome}};
  if (policy == "pause_at_zero") {
    const int weight = weightBefore(plan, d.step);
    if (auto st = setWeight(ctx, 0); !st) return std::unexpected(st.error());
    d.analysis.zeroedWeight = weight;
    data["weight"] = 0;
    meanwhile = fmt::format("the canary's weight is 0 (pinned users still reach it), resume gives it back its {}%; {}",
                            weight, meanwhile);
  }
  d.reason = fmt::format("analysis inconclusive at step {}/{}: {} — resume to continue, or roll back ({})", d.step,
                         d.steps, verdict.reason, meanwhile);
  return Transition::move(Phase::kCanaryPause, data);
}

}  // namespace ramp::engine
