// Canary.cpp — the steps of a canary deployment, after the canary fleet is
// healthy (the shared phases in BlueGreen.cpp create it):
//
//   canary_step      start step N: a weight (edit the traffic plan), a pause
//                    (timed, or until a person resumes), or an analysis
//                    (snapshot both fleets' counters, arm the deadline)
//   canary_verify    until the data plane applies the step's weights
//   canary_pause     until the pause ends (or `ramp resume`)
//   canary_analysis  every interval: the judge compares canary with baseline
//                    on the counters since the step began; pass -> next step,
//                    fail -> rollback, inconclusive at the deadline ->
//                    on_inconclusive: pause for a person (the default),
//                    pause_at_zero (the canary's weight goes to 0 until a
//                    person resumes, which restores it), or rollback
// While a deployment waits for a person during or after an analysis (an
// inconclusive step, or `ramp pause` in canary_analysis), the judge keeps
// looking at the same analysis (watchPausedCanary): evidence of harm still
// rolls back by itself; a pass only shows in the verdict (a person decides).
// After the last step the canary takes all traffic through the shared
// switch / verify_switch / bake / retire phases. A failing verdict hands over
// to the rollback phases (Rollback.cpp): traffic back to the stable fleet in
// one data-plane update, verified, then the canary drains and is retired.
//
// The baseline is the stable fleet, or with `strategy.baseline: fresh` a
// new fleet of the stable release at the canary's size and weight
// (FreshBaseline.cpp). Counters are cumulative, so the judge sees only the
// differences from the snapshot taken when the analysis step began, the
// router's through a CounterWindow per fleet that re-bases when they restart
// (a router restart); no error path skips the step's deadline. Canary
// splits name the stable fleet and are held under the weight lease
// (WeightLease.h; Engine::leaseRanOut decides when it ran out). Metrics
// read from Prometheus (analysis.metrics[].prometheus) are snapshotted the
// same way, each fleet's queries filled with its fleet id and release.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "analysis/DecisionForecast.h"
#include "analysis/Judge.h"
#include "engine/CounterSnapshot.h"
#include "engine/CounterWindow.h"
#include "engine/Engine.h"

namespace ramp::engine {

using nlohmann::json;


Result<json> Engine::snapshotMetrics(const Deployment& d, const ServicePlan& plan) {
  auto key = keyOf(d);
  auto c = metrics_.fleetMetrics(key, d.newFleet);
  if (!c) return std::unexpected(c.error());
  // The baseline: a fresh fleet of the stable release when configured,
  // else the stable fleet itself.
  const std::string baselineFleet = d.baselineFleet.empty() ? d.oldFleet : d.baselineFleet;
  auto b = metrics_.fleetMetrics(key, baselineFleet);
  if (!b) return std::unexpected(b.error());
  json snap{{"canary", CounterSnapshot::of(*c)}, {"baseline", CounterSnapshot::of(*b)}};
  // Where latency came from when not a measured histogram (aws: CloudWatch
  // percentiles, or Average when none were returned), for honest verdicts.
  if (!c->latencySource.empty()) snap["latency_source"] = c->latencySource;
  // Metrics read from a query server: each side's cumulative value. One
  // that cannot be read is left out (its error in "query_errors"): that
  // look has no new data for it, the step's deadline still stands.
  const json metrics = plan.analysis.value("metrics", json::array());
  const json server = plan.analysis.value("prometheus", json::object());
  for (size_t i = 0; metrics.is_array() && i < metrics.size(); ++i) {
    if (!CounterSnapshot::isQueryMetric(metrics[i])) continue;
    const std::string name = metrics[i].value("name", "");
    for (const auto& [side, fleet, version] : {std::tuple{"canary", d.newFleet, d.version},
                                               std::tuple{"baseline", baselineFleet, d.oldVersion}}) {
      std::map<std::string, std::string> values{
          {"fleet", fleet}, {"release", version}, {"service", d.service}, {"env", d.env}, {"region", d.region}};
      auto v = metricQueries_->read(server, metrics[i], i, values);
      if (v) {
        snap[side]["metrics"][name] = *v;
      } else {
        snap["query_errors"].push_back(std::string(side) + ": " + v.error().describe());
      }
    }
  }
  return snap;
}

Result<analysis::Judge::Step> Engine::lookAtCanary(Deployment& d, const ServicePlan& plan,
                                                   const analysis::JudgeConfig& cfg, bool final, json& snapOut) {
  auto snap = snapshotMetrics(d, plan);
  if (!snap) return std::unexpected(snap.error());
  // A query metric first read after the step began starts from its first
  // reading (a server down at the start must not lose the whole step).
  for (const char* side : {"canary", "baseline"}) {
    if (!(*snap)[side].contains("metrics")) continue;
    for (auto it = (*snap)[side]["metrics"].begin(); it != (*snap)[side]["metrics"].end(); ++it) {
      json& start = d.analysis["start"][side];
      if (!start.contains("metrics") || !start["metrics"].contains(it.key())) start["metrics"][it.key()] = it.value();
    }
  }
  const json metrics = plan.analysis.value("metrics", json::array());
  // The router's counters through a window per fleet that survives their
  // restart (CounterWindow.h; an older record's start snapshot is one).
  json restart = json::object();
  std::map<std::string, analysis::ErrorCounts> routerCounts;  // what users saw, per side
  auto measure = [&](const char* side) -> Result<analysis::Measurements> {
    const std::string key = std::string(side) + "_window";
    auto window = CounterWindow::fromJson(d.analysis.contains(key) ? d.analysis[key] : d.analysis["start"][side]);
    if (!window) return std::unexpected(window.error());
    auto look = window->look((*snap)[side]);
    if (!look) return std::unexpected(look.error());
    d.analysis[key] = window->toJson();
    if (look->restarted) restart[side] = look->restart;
    if (auto e = look->measurements.errors.find("error_rate"); e != look->measurements.errors.end()) {
      routerCounts[side] = e->second;
    }
    return CounterSnapshot::named(look->measurements, d.analysis["start"][side], (*snap)[side], metrics);
  };
  auto canary = measure("canary");
  auto baseline = measure("baseline");
  if (!canary) return std::unexpected(canary.error());
  if (!baseline) return std::unexpected(baseline.error());
  if (!restart.empty()) {
    // The data plane's counters started again: measured through it.
    restart["step"] = d.step;
    if (auto st = audit("analysis.restart", d, restart); !st) return std::unexpected(st.error());
  }
  auto state = analysis::JudgeState::fromJson(d.analysis.value("state", json::object()));
  if (!state) return std::unexpected(state.error());
  auto step = analysis::Judge::step(*state, *canary, *baseline, cfg, final);
  if (!step) return std::unexpected(step.error());
  d.analysis["state"] = step->state.toJson();
  (*snap)["progress"] = progressOf(d, plan, routerCounts["canary"], routerCounts["baseline"], step->verdict);
  snapOut = std::move(*snap);
  return step;
}

json Engine::progressOf(const Deployment& d, const ServicePlan& plan, const analysis::ErrorCounts& c,
                        const analysis::ErrorCounts& b, const analysis::Verdict& verdict) const {
  const int64_t now = toUnixMillis(clock_.now());
  const int64_t deadline = d.analysis.value("deadline_at", int64_t{0});
  const int64_t duration = d.step >= 1 && d.step <= static_cast<int>(plan.steps.size())
                               ? plan.steps[static_cast<size_t>(d.step - 1)].analysisDuration.count()
                               : 0;
  const int64_t started = d.analysis.value("started_at", deadline - duration);
  const double elapsed = std::max<int64_t>(0, now - started) / 1000.0;
  const double left = std::max<int64_t>(0, deadline - now) / 1000.0;
  // `c`, `b`: the router's counts of both fleets since the step began (what
  // users saw), through the counter windows.
  const double perSecond = elapsed > 0 ? c.requests / elapsed : 0;
  const int weight = d.analysis.contains("zeroed_weight") ? 0 : canaryWeightBefore(plan, d.step);
  const json forecast = verdict.details.is_object() ? verdict.details.value("forecast", json()) : json();
  return {{"step", d.step},
          {"weight", weight},
          {"elapsed_s", std::round(elapsed * 10) / 10},
          {"deadline_in_s", std::round(left * 10) / 10},
          {"canary", {{"requests", c.requests}, {"errors", c.errors}, {"per_second", std::round(perSecond * 10) / 10}}},
          {"baseline", {{"requests", b.requests}, {"errors", b.errors}}},
          {"forecast", analysis::DecisionForecast::of(forecast, perSecond, left, weight).toJson()}};
}

int Engine::canaryWeightBefore(const ServicePlan& plan, int step) {
  int weight = 0;
  for (int i = 0; i + 1 < step && i < static_cast<int>(plan.steps.size()); ++i) {
    if (plan.steps[static_cast<size_t>(i)].kind == StepPlan::Kind::kWeight) weight = plan.steps[static_cast<size_t>(i)].weight;
  }
  return weight;
}

Status Engine::setCanaryWeight(const Deployment& d, const ServicePlan& plan, int weight) {
  const auto key = keyOf(d);
  auto tp = loadPlan(key);
  if (!tp) return std::unexpected(tp.error());
  // Held under the weight lease: should this controller stop renewing it,
  // the data plane sends everything back to the stable fleet.
  const int64_t lease = plan.weightLease.count();
  if (d.baselineFleet.empty()) {
    tp->split(d.oldFleet, d.newFleet, weight, lease);
  } else {
    tp->split(d.oldFleet, d.baselineFleet, d.newFleet, weight, lease);
  }
  if (!plan.pinHeader.empty() || !plan.pinCookie.empty()) {
    // Chosen users (a header or cookie) see the canary whatever its weight.
    tp->pin = providers::Pinning{plan.pinHeader, plan.pinCookie, d.newFleet};
  }
  // A canary that no user reaches (pause_at_zero without a pin) risks
  // nothing: no lease to run out.
  if (weight == 0 && !tp->pin) tp->leaseMs = 0;
  if (auto st = savePlan(key, *tp, options_.owner, d.id); !st) return st;
  return reconcileTraffic(key);
}

Result<bool> Engine::watchPausedCanary(Deployment& d, const ServicePlan& plan) {
  const bool watching = d.phase == Phase::kCanaryAnalysis ||
                        (d.phase == Phase::kCanaryPause && d.analysis.value("watch", false));
  if (!watching || !d.analysis.contains("start")) return false;
  const int64_t now = toUnixMillis(clock_.now());
  if (now < d.analysis.value("next_look_at", int64_t{0})) return false;
  auto cfg = CounterSnapshot::judgeConfig(plan.analysis, plan.analyses * std::max(1, static_cast<int>(d.waves.size())));
  if (!cfg) return false;  // the deployment waits for a person anyway
  const int64_t interval = d.step >= 1 && d.step <= static_cast<int>(plan.steps.size())
                               ? plan.steps[static_cast<size_t>(d.step - 1)].analysisInterval.count()
                               : 1000;
  d.analysis["next_look_at"] = now + std::max<int64_t>(interval, 100);
  json snap;
  auto step = lookAtCanary(d, plan, *cfg, /*final=*/false, snap);
  if (!step) {
    // Not this time (a metric source down): the next look is at the next
    // interval, not at the next tick.
    (void)commit(d, "");
    return std::unexpected(step.error());
  }
  const auto& verdict = step->verdict;
  json vj = verdict.toJson();
  vj["step"] = d.step;
  vj["while"] = "paused";
  if (snap.contains("query_errors")) vj["query_errors"] = snap["query_errors"];
  if (snap.contains("progress")) vj["progress"] = snap["progress"];
  if (verdict.outcome != analysis::Outcome::kFail) {
    // Evidence for a pass only informs the person deciding; the latest
    // look is kept (as "continue") so status shows it.
    vj["verdict"] = "continue";
    if (!d.verdicts.empty() && d.verdicts.back().value("verdict", "") == "continue") d.verdicts.erase(d.verdicts.size() - 1);
    d.verdicts.push_back(vj);
    if (auto st = commit(d, ""); !st) return std::unexpected(st.error());
    return false;
  }
  if (!d.verdicts.empty() && d.verdicts.back().value("verdict", "") == "continue") d.verdicts.erase(d.verdicts.size() - 1);
  d.verdicts.push_back(vj);
  while (d.verdicts.size() > 20) d.verdicts.erase(0);
  if (auto st = audit("verdict", d, vj); !st) return std::unexpected(st.error());
  std::string why = fmt::format("canary failed analysis at step {}/{} while paused for a person: {}", d.step, d.steps,
                                verdict.reason);
  if (auto st = startRollback(d, why, {{"verdict", "fail"}, {"while", "paused"}}); !st) return std::unexpected(st.error());
  return true;
}

Result<bool> Engine::runCanaryPhase(Deployment& d, const ServicePlan& plan) {
  const auto key = keyOf(d);
  const int64_t now = toUnixMillis(clock_.now());

  if (d.phase == Phase::kCanaryStep) {
    if (d.step < 1) d.step = 1;
    // Without a stable fleet there is nothing to compare with or to protect.
    if (d.oldFleet.empty() || d.step > static_cast<int>(plan.steps.size())) {
      if (auto st = enterPhase(d, Phase::kSwitch, {{"canary", "all steps done"}}); !st) return std::unexpected(st.error());
      return true;
    }
    const StepPlan& s = plan.steps[static_cast<size_t>(d.step - 1)];
    if (s.kind == StepPlan::Kind::kWeight) {
      // Scaling held from the first weight step until the final switch (or
      // rollback) is verified: BlueGreen.cpp verify_switch, Rollback.cpp rb_verify.
      if (auto st = holdScaling(d, plan, true); !st) return std::unexpected(st.error());
      if (auto st = setCanaryWeight(d, plan, s.weight); !st) return std::unexpected(st.error());
      if (auto st = enterPhase(d, Phase::kCanaryVerify, {{"weight", s.weight}}); !st) return std::unexpected(st.error());
      return true;
    }
    if (s.kind == StepPlan::Kind::kPause) {
      d.deadlineAt = s.pause ? now + s.pause->count() : 0;
      if (!s.pause) {
        d.state = kPaused;
        d.reason = fmt::format("paused at step {}/{} until a person resumes it (ramp resume {} --env {})",
                               d.step, d.steps, d.service, d.env);
      }
      if (auto st = enterPhase(d, Phase::kCanaryPause); !st) return std::unexpected(st.error());
      return true;
    }
    // Analysis.
    auto snap = snapshotMetrics(d, plan);
    if (!snap) return std::unexpected(snap.error());
    auto canaryWindow = CounterWindow::startAt((*snap)["canary"]);
    auto baselineWindow = CounterWindow::startAt((*snap)["baseline"]);
    if (!canaryWindow) return std::unexpected(canaryWindow.error());
    if (!baselineWindow) return std::unexpected(baselineWindow.error());
    d.analysis = {{"start", *snap},
                  {"started_at", now},
                  {"canary_window", canaryWindow->toJson()},
                  {"baseline_window", baselineWindow->toJson()},
                  {"state", analysis::JudgeState{}.toJson()},
                  {"deadline_at", now + s.analysisDuration.count()},
                  {"next_look_at", now + s.analysisInterval.count()}};
    if (auto st = enterPhase(d, Phase::kCanaryAnalysis,
                             {{"duration_ms", s.analysisDuration.count()}, {"interval_ms", s.analysisInterval.count()}});
        !st) {
      return std::unexpected(st.error());
    }
    return true;
  }

  if (d.phase == Phase::kCanaryVerify) {
    auto v = trafficVerified(key);
    if (!v) return std::unexpected(v.error());
    if (!*v) {
      if (auto st = reconcileTraffic(key); !st) return std::unexpected(st.error());
      return false;
    }
    d.step++;
    if (auto st = enterPhase(d, Phase::kCanaryStep); !st) return std::unexpected(st.error());
    return true;
  }

  if (d.phase == Phase::kCanaryPause) {
    bool unknown = false;
    if (auto alarm = firingAlarm(d, plan, false, unknown)) {
      if (auto st = startRollback(d, fmt::format("alarm {} is in ALARM (canary paused at step {}/{})", *alarm, d.step,
                                                 d.steps),
                                  {{"alarm", *alarm}});
          !st) {
        return std::unexpected(st.error());
      }
      return true;
    }
    bool untilResumed = d.deadlineAt == 0;
    if (!untilResumed && now < d.deadlineAt) return false;
    // An until-resumed pause ends when the state is running again.
    if (d.analysis.contains("zeroed_weight")) {
      // on_inconclusive: pause_at_zero — the person resumed: the canary
      // gets its weight back before the next step.
      if (auto st = setCanaryWeight(d, plan, d.analysis.value("zeroed_weight", 0)); !st) return std::unexpected(st.error());
      d.analysis.erase("zeroed_weight");
    }
    d.analysis["watch"] = false;
    d.step++;
    d.reason.clear();
    if (auto st = enterPhase(d, Phase::kCanaryStep); !st) return std::unexpected(st.error());
    return true;
  }

  if (d.phase == Phase::kCanaryAnalysis) {
    int64_t deadline = d.analysis.value("deadline_at", int64_t{0});
    int64_t nextLook = d.analysis.value("next_look_at", int64_t{0});
    bool final = now >= deadline;
    if (!final && now < nextLook) return false;
    bool alarmsUnknown = false;
    if (auto alarm = firingAlarm(d, plan, true, alarmsUnknown)) {
      if (auto st = startRollback(d, fmt::format("alarm {} is in ALARM (canary analysis at step {}/{})", *alarm,
                                                 d.step, d.steps),
                                  {{"alarm", *alarm}});
          !st) {
        return std::unexpected(st.error());
      }
      return true;
    }
    auto cfg = CounterSnapshot::judgeConfig(plan.analysis, plan.analyses * std::max(1, static_cast<int>(d.waves.size())));
    if (!cfg) {
      d.reason = "the analysis configuration is invalid: " + cfg.error().describe();
      d.endState = kFailed;
      if (auto st = enterPhase(d, Phase::kRbSwitch); !st) return std::unexpected(st.error());
      return true;
    }
    const int64_t interval = plan.steps[static_cast<size_t>(d.step - 1)].analysisInterval.count();
    json snapValue;
    auto step = lookAtCanary(d, plan, *cfg, final, snapValue);
    d.analysis["next_look_at"] = now + interval;
    if (!step && !final) {
      // No error path skips the deadline: a look that cannot be made waits
      // for the next one, saying why (recorded once per reason).
      std::string blind = step.error().describe();
      std::string why = fmt::format("the judge cannot look at step {}/{} ({}); looking again every {} ms until the "
                                    "step's deadline at {}",
                                    d.step, d.steps, blind, interval, formatTime(fromUnixMillis(deadline)));
      bool changed = d.reason != why;
      d.reason = why;
      if (auto st = commit(d, changed ? "analysis.blind" : "", changed ? json{{"reason", blind}} : json()); !st) {
        return std::unexpected(st.error());
      }
      return false;
    }
    if (!step) {
      // At the deadline the step ends on what the judge has: inconclusive,
      // the error as its reason.
      analysis::Verdict v;
      v.outcome = analysis::Outcome::kInconclusive;
      v.reason = "no verdict by the step's deadline: " + step.error().describe();
      step = analysis::Judge::Step{std::move(v), analysis::JudgeState{}};
    } else if (d.reason.starts_with("the judge cannot look")) {
      d.reason.clear();
    }
    const json* snap = &snapValue;
    auto& verdict = step->verdict;
    if (alarmsUnknown && verdict.outcome == analysis::Outcome::kPass) {
      // A pass needs the alarms known to be quiet: keep looking until the
      // deadline, then it is inconclusive.
      verdict.outcome = final ? analysis::Outcome::kInconclusive : analysis::Outcome::kContinue;
      verdict.reason = "the metrics pass but the alarm state is unknown (" + lastAlarmError_[d.id] + ")";
    }
    std::string outcome(analysis::outcomeName(verdict.outcome));
    if (verdict.outcome == analysis::Outcome::kContinue) {
      // Keep only the latest "continue" so the record stays small.
      if (!d.verdicts.empty() && d.verdicts.back().value("verdict", "") == "continue") d.verdicts.erase(d.verdicts.size() - 1);
      json cj = verdict.toJson();
      if (snap->contains("query_errors")) cj["query_errors"] = (*snap)["query_errors"];
      if (snap->contains("progress")) cj["progress"] = (*snap)["progress"];
      d.verdicts.push_back(cj);
      if (auto st = commit(d, ""); !st) return std::unexpected(st.error());
      return false;
    }
    json vj = verdict.toJson();
    vj["step"] = d.step;
    if (snap->contains("query_errors")) vj["query_errors"] = (*snap)["query_errors"];
    if (snap->contains("progress")) vj["progress"] = (*snap)["progress"];
    if (snap->contains("latency_source")) vj["latency_source"] = (*snap)["latency_source"];
    if (!d.verdicts.empty() && d.verdicts.back().value("verdict", "") == "continue") d.verdicts.erase(d.verdicts.size() - 1);
    d.verdicts.push_back(vj);
    while (d.verdicts.size() > 20) d.verdicts.erase(0);
    if (auto st = audit("verdict", d, vj); !st) return std::unexpected(st.error());
    if (verdict.outcome == analysis::Outcome::kPass) {
      d.step++;
      if (auto st = enterPhase(d, Phase::kCanaryStep, {{"verdict", outcome}}); !st) return std::unexpected(st.error());
      return true;
    }
    const std::string policy = plan.analysis.value("on_inconclusive", std::string("pause"));
    bool rollback = verdict.outcome == analysis::Outcome::kFail || policy == "rollback";
    if (rollback) {
      // The stable fleet still serves (100 - weight)% and was never scaled
      // down; rb_capacity checks it is healthy before it takes everything.
      std::string why = fmt::format("canary {} at step {}/{}: {}",
                                    outcome == "fail" ? "failed analysis" : "inconclusive", d.step, d.steps,
                                    verdict.reason);
      if (auto st = startRollback(d, why, {{"verdict", outcome}}); !st) return std::unexpected(st.error());
      return true;
    }
    // Inconclusive: wait for a person (resume continues with the next step,
    // rollback / abort undo the canary) while the judge keeps looking.
    d.state = kPaused;
    d.deadlineAt = 0;
    d.analysis["watch"] = true;
    std::string meanwhile = "the judge keeps looking and rolls back on evidence of harm";
    json data{{"verdict", outcome}};
    if (policy == "pause_at_zero") {
      const int weight = canaryWeightBefore(plan, d.step);
      if (auto st = setCanaryWeight(d, plan, 0); !st) return std::unexpected(st.error());
      d.analysis["zeroed_weight"] = weight;
      data["weight"] = 0;
      meanwhile = fmt::format("the canary's weight is 0 (pinned users still reach it), resume gives it back its {}%; {}",
                              weight, meanwhile);
    }
    d.reason = fmt::format("analysis inconclusive at step {}/{}: {} — resume to continue, or roll back ({})", d.step,
                           d.steps, verdict.reason, meanwhile);
    if (auto st = enterPhase(d, Phase::kCanaryPause, data); !st) return std::unexpected(st.error());
    return false;
  }

  return internal(fmt::format("phase {} is not a canary phase", phaseName(d.phase)), d.id);
}

Result<Deployment> Engine::control(const std::string& service, const std::string& env,
                                   const std::string& action, const std::string& actor) {
  std::lock_guard lock(mu_);
  auto all = list(service, env, 20);
  if (!all) return std::unexpected(all.error());
  // The deployment in progress: the newest one not waiting in the queue
  // (a queued one waits behind it); else the newest queued one.
  Deployment* d = nullptr;
  for (auto& x : *all) {
    if (!isTerminalState(x.state) && x.phase != Phase::kQueue && x.phase != Phase::kWindow) {
      d = &x;
      break;
    }
  }
  for (auto& x : *all) {
    if (!d && !isTerminalState(x.state)) d = &x;
  }
  if (!d) return failedPrecondition("no deployment of " + service + " in " + env + " is in progress", "service");
  if (isUndoing(d->phase)) {
    return conflict(fmt::format("{} is already being undone ({})", d->id, phaseName(d->phase)));
  }
  json data{{"action", action}, {"by", actor}};
  const uint32_t facts = factsOf(*d);
  if (isGate(d->phase)) {
    // Not started yet: only abort applies; nothing ran, nothing to undo.
    auto to = action == "abort" ? PhaseTable::target(d->phase, Trigger::kAbort, facts) : std::nullopt;
    if (!to) {
      return failedPrecondition(fmt::format("{} has not started ({} in phase {}); only abort applies", d->id,
                                            d->state, phaseName(d->phase)));
    }
    d->state = kAborted;
    d->reason = "aborted by " + actor + " before it started";
    d->phase = *to;
    d->finishedAt = toUnixMillis(clock_.now());
    if (auto st = commit(*d, "deployment.control", data); !st) return std::unexpected(st.error());
    if (auto st = commit(*d, "deployment.finished"); !st) return std::unexpected(st.error());
    return *d;
  }
  if (action == "pause") {
    if (d->state == kPaused) return *d;
    d->state = kPaused;
    d->reason = "paused by " + actor;
  } else if (action == "resume") {
    if (d->state != kPaused) return failedPrecondition(d->id + " is " + d->state + ", not paused");
    d->state = kRunning;
    d->reason = "resumed by " + actor;
  } else if (action == "promote-now") {
    auto to = PhaseTable::target(d->phase, Trigger::kPromoteNow, facts);
    if (!to) {
      return failedPrecondition(fmt::format("{} is in phase {}; promote-now skips the remaining canary steps once the "
                                            "canary is healthy",
                                            d->id, phaseName(d->phase)));
    }
    d->state = kRunning;
    d->reason = "promoted now by " + actor + ", skipping the remaining steps";
    d->phase = *to;
  } else if (action == "abort") {
    auto to = PhaseTable::target(d->phase, Trigger::kAbort, facts);
    if (!to) return failedPrecondition(fmt::format("{} is in phase {}; abort does not apply", d->id, phaseName(d->phase)));
    d->endState = kAborted;
    if (*to == d->phase) {
      // Waves: this region has committed to the new release (its previous
      // fleet is being retired); the waves stop once it is done (Waves.cpp).
      d->reason = fmt::format("aborted by {} (the waves stop once {} has retired its previous fleet)", actor,
                              d->region);
    } else {
      // Where traffic may have moved and the previous fleet is warm (a
      // paused bake, the bake of a region that is not the last): back to it;
      // else the new fleet is cleaned up.
      d->reason = "aborted by " + actor;
      d->state = kRunning;
      d->phase = *to;
    }
  } else {
    return invalid("unknown action '" + action + "' (pause, resume, promote-now, abort)", "action");
  }
  if (auto st = commit(*d, "deployment.control", data); !st) return std::unexpected(st.error());
  return *d;
}

}  // namespace ramp::engine
