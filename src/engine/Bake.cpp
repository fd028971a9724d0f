// Bake.cpp — watching green while the previous fleet is kept ready.
//
// After a blue/green switch (and after a canary's last step) the previous
// fleet (blue) stays running, at weight 0, for `strategy.bake`. During that
// time the engine
//   - judges green (all traffic since the switch) against blue's own
//     measurements from a window of (up to) the bake's length just BEFORE
//     the switch, when blue carried the traffic: sampleBeforeSwitch() keeps
//     a few snapshots of blue's cumulative counters while the deployment
//     runs, fixBakeWindow() picks the window at the switch (docs/decisions.md
//     says why this baseline and not a concurrent one);
//   - watches the configured alarms (options.alarms, environment.aws.alarms).
// A failing verdict or a firing alarm rolls back through the rollback phases
// (rb_capacity: blue healthy first; rb_switch: all traffic to blue in one
// data-plane update, verified; green drained and retired; rolled_back with
// the verdict or alarm as the reason). The switch has already promoted
// green, so an inconclusive verdict at the end of the bake (too little
// traffic) is recorded and blue is retired as planned, unless
// analysis.on_inconclusive is "rollback". Alarms whose state is still
// unknown at the end follow on_inconclusive: rollback, or pause for a
// person with blue kept ready (resume retires it, rollback switches back).
#include <algorithm>

#include <fmt/format.h>

#include "analysis/Judge.h"
#include "engine/CounterSnapshot.h"
#include "engine/CounterWindow.h"
#include "engine/Engine.h"

namespace ramp::engine {

using nlohmann::json;

namespace {

constexpr int64_t kLookMs = 1000;
constexpr size_t kMaxSamples = 20;

bool watchesBake(const Deployment& d, const ServicePlan& plan) {
  return d.kind == "deploy" && !d.oldFleet.empty() && plan.bake.count() > 0 && d.strategy != "all-at-once";
}

void keepLatestVerdict(Deployment& d, json vj) {
  if (!d.verdicts.empty() && d.verdicts.back().value("verdict", "") == "continue") d.verdicts.erase(d.verdicts.size() - 1);
  d.verdicts.push_back(std::move(vj));
  while (d.verdicts.size() > 20) d.verdicts.erase(0);
}

}  // namespace

Status Engine::sampleBeforeSwitch(Deployment& d, const ServicePlan& plan) {
  if (!watchesBake(d, plan) || !plan.hasMetrics()) return ok();
  const int64_t now = toUnixMillis(clock_.now());
  json samples = d.bake.value("samples", json::array());
  int64_t every = std::max<int64_t>(kLookMs, plan.bake.count() / 8);
  if (!samples.empty() && now - samples.back().value("t", int64_t{0}) < every) return ok();
  auto m = metrics_.fleetMetrics(keyOf(d), d.oldFleet);
  if (!m) return ok();  // best effort: the next look tries again
  samples.push_back({{"t", now}, {"blue", CounterSnapshot::of(*m)}});
  // Keep the newest sample at least a bake old, and everything newer.
  size_t keepFrom = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (samples[i].value("t", int64_t{0}) <= now - plan.bake.count()) keepFrom = i;
  }
  json kept = json::array();
  for (size_t i = keepFrom; i < samples.size(); ++i) kept.push_back(samples[i]);
  while (kept.size() > kMaxSamples) kept.erase(0);
  d.bake["samples"] = kept;
  return commit(d, "");
}

Status Engine::fixBakeWindow(Deployment& d, const ServicePlan& plan) {
  if (!watchesBake(d, plan) || !plan.hasMetrics()) return ok();
  const int64_t now = toUnixMillis(clock_.now());
  const auto key = keyOf(d);
  json samples = d.bake.value("samples", json::array());
  json window = json::object();
  auto blue = metrics_.fleetMetrics(key, d.oldFleet);
  auto green = metrics_.fleetMetrics(key, d.newFleet);
  std::string unavailable;
  if (!blue) unavailable = "the previous fleet's metrics: " + blue.error().describe();
  // Before the switch the new fleet has had no traffic through the entry
  // point (the local router does not even know it yet: it was never in a
  // split), so its counters start from zero.
  providers::FleetMetrics greenStart;
  if (green) greenStart = *green;
  if (unavailable.empty() && samples.empty()) unavailable = "no measurement of the previous fleet before the switch";
  if (!unavailable.empty()) {
    d.bake = {{"judged", true}, {"skipped", unavailable}};
    return audit("bake.analysis_unavailable", d, {{"reason", "the bake is watched by alarms only: " + unavailable}});
  }
  // The newest sample at least a bake before the switch; else the oldest.
  json from = samples.front();
  for (const auto& s : samples) {
    if (s.value("t", int64_t{0}) <= now - plan.bake.count()) from = s;
  }
  int64_t windowMs = now - from.value("t", now);
  // The previous fleet's counts over the window, carried across router
  // restarts: every sample from `from` on is looked at through a
  // CounterWindow (issue 16), so a restart inside the window does not leave
  // the judge with only what was counted since it (a blind baseline, judged
  // "low traffic" and rolled back by on_inconclusive: rollback).
  const json blueTo = CounterSnapshot::of(*blue);
  auto blueWindow = CounterWindow::startAt(from["blue"]);
  uint64_t baselineRequests = 0;
  if (blueWindow) {
    const int64_t fromT = from.value("t", now);
    for (const auto& s : samples) {
      if (s.value("t", int64_t{0}) <= fromT || !blueWindow) continue;
      if (auto l = blueWindow->look(s["blue"]); !l) blueWindow = std::unexpected(l.error());
    }
  }
  if (blueWindow) {
    if (auto l = blueWindow->look(blueTo); !l) {
      blueWindow = std::unexpected(l.error());
    } else if (auto it = l->measurements.errors.find("error_rate"); it != l->measurements.errors.end()) {
      baselineRequests = it->second.requests;
    }
  }
  if (!blueWindow) {
    d.bake = {{"judged", true}, {"skipped", blueWindow.error().describe()}};
    return audit("bake.analysis_unavailable",
                 d, {{"reason", "the bake is watched by alarms only: the previous fleet's counters: " +
                                    blueWindow.error().describe()}});
  }
  d.bake = {{"blue_from", from["blue"]},
            {"blue_to", blueTo},
            {"blue_window", blueWindow->toJson()},
            {"green_from", CounterSnapshot::of(greenStart)},
            {"window_ms", windowMs},
            {"state", analysis::JudgeState{}.toJson()},
            {"next_look_at", now + kLookMs}};
  return audit("bake.window", d,
               {{"baseline_fleet", d.oldFleet},
                {"window_ms", windowMs},
                {"baseline_requests", baselineRequests},
                {"baseline_restarts", blueWindow->restarts()}});
}

Result<bool> Engine::watchBake(Deployment& d, const ServicePlan& plan) {
  if (!watchesBake(d, plan) || d.bake.value("resolved", false)) return false;
  const int64_t now = toUnixMillis(clock_.now());
  const bool final = now >= d.bakeUntil;
  const std::string policy = plan.analysis.value("on_inconclusive", std::string("pause"));

  bool unknown = false;
  if (auto alarm = firingAlarm(d, plan, final, unknown)) {
    if (auto st = startRollback(d, fmt::format("alarm {} is in ALARM during the bake of {}", *alarm, d.newFleet),
                                {{"alarm", *alarm}});
        !st) {
      return std::unexpected(st.error());
    }
    return true;
  }

  // The bake judges the router's metrics: the window before the switch is
  // the router's counters. Metrics read from Prometheus are judged in the
  // canary's analysis steps only (their budget share stays unused).
  const json configured = plan.analysis.value("metrics", json::array());
  json routerMetrics = json::array();
  for (const auto& m : configured)
    if (!CounterSnapshot::isQueryMetric(m)) routerMetrics.push_back(m);
  const bool onlyQueries = configured.is_array() && !configured.empty() && routerMetrics.empty();
  bool judging = plan.hasMetrics() && !onlyQueries && d.bake.contains("blue_from") && !d.bake.value("judged", false);
  if (judging && (final || now >= d.bake.value("next_look_at", int64_t{0}))) {
    auto cfg = CounterSnapshot::judgeConfig(plan.analysis, plan.analyses * std::max(1, static_cast<int>(d.waves.size())));
    auto greenNow = metrics_.fleetMetrics(keyOf(d), d.newFleet);
    if (!cfg || !greenNow) {
      std::string why = !cfg ? cfg.error().describe() : greenNow.error().describe();
      d.bake["next_look_at"] = now + kLookMs;
      if (!cfg || final) {
        d.bake["judged"] = true;
        (void)audit("bake.analysis_unavailable", d, {{"reason", why}});
      }
      if (auto st = commit(d, ""); !st) return std::unexpected(st.error());
    } else {
      std::erase_if(cfg->metrics, [&](const analysis::MetricSpec& m) {
        for (const auto& r : routerMetrics)
          if (r.value("name", "") == m.name) return false;
        return !routerMetrics.empty();
      });
      // Green's counters through a window that survives a router restart.
      auto window = CounterWindow::fromJson(d.bake.contains("green_window") ? d.bake["green_window"]
                                                                            : d.bake["green_from"]);
      Result<analysis::Measurements> green = std::unexpected(Error{});
      if (!window) {
        green = std::unexpected(window.error());
      } else if (auto look = window->look(CounterSnapshot::of(*greenNow)); !look) {
        green = std::unexpected(look.error());
      } else {
        green = CounterSnapshot::named(look->measurements, d.bake["green_from"], CounterSnapshot::of(*greenNow),
                                       routerMetrics);
        d.bake["green_window"] = window->toJson();
        if (look->restarted) (void)audit("analysis.restart", d, {{"during", "bake"}, {"green", look->restart}});
      }
      // The previous fleet over the window before the switch, across
      // restarts (fixBakeWindow); a record without it (older) as before.
      Result<analysis::Measurements> blue = std::unexpected(Error{});
      if (d.bake.contains("blue_window")) {
        auto bw = CounterWindow::fromJson(d.bake["blue_window"]);
        if (!bw) {
          blue = std::unexpected(bw.error());
        } else if (auto bl = bw->look(d.bake["blue_to"]); !bl) {
          blue = std::unexpected(bl.error());
        } else {
          blue = CounterSnapshot::named(bl->measurements, d.bake["blue_from"], d.bake["blue_to"], routerMetrics);
        }
      } else {
        blue = CounterSnapshot::between(d.bake["blue_from"], d.bake["blue_to"], routerMetrics);
      }
      auto state = analysis::JudgeState::fromJson(d.bake.value("state", json::object()));
      Result<analysis::Judge::Step> step = std::unexpected(Error{});
      if (green && blue && state) step = analysis::Judge::step(*state, *green, *blue, *cfg, final);
      if (!step) {
        std::string why = !green ? green.error().describe()
                          : !blue ? blue.error().describe()
                          : !state ? state.error().describe()
                                   : step.error().describe();
        d.bake["judged"] = true;
        (void)audit("bake.analysis_unavailable", d, {{"reason", why}});
        if (auto st = commit(d, ""); !st) return std::unexpected(st.error());
      } else {
        d.bake["state"] = step->state.toJson();
        d.bake["next_look_at"] = now + kLookMs;
        const auto& verdict = step->verdict;
        json vj = verdict.toJson();
        vj["during"] = "bake";
        vj["baseline_window_ms"] = d.bake.value("window_ms", int64_t{0});
        keepLatestVerdict(d, vj);
        if (verdict.outcome == analysis::Outcome::kContinue) {
          if (auto st = commit(d, ""); !st) return std::unexpected(st.error());
        } else {
          d.bake["judged"] = true;
          if (auto st = audit("verdict", d, vj); !st) return std::unexpected(st.error());
          bool fail = verdict.outcome == analysis::Outcome::kFail;
          bool inconclusive = verdict.outcome == analysis::Outcome::kInconclusive;
          if (fail || (inconclusive && policy == "rollback")) {
            std::string why = fmt::format("{} {} during the bake (against {} before the switch): {}", d.newFleet,
                                          fail ? "failed analysis" : "was inconclusive", d.oldFleet, verdict.reason);
            if (auto st = startRollback(d, why, {{"verdict", std::string(analysis::outcomeName(verdict.outcome))}});
                !st) {
              return std::unexpected(st.error());
            }
            return true;
          }
          if (auto st = commit(d, ""); !st) return std::unexpected(st.error());
        }
      }
    }
  }

  if (final && unknown) {
    std::string why = lastAlarmError_[d.id];
    if (policy == "rollback") {
      if (auto st = startRollback(d, "the bake ended with the " + why, {{"alarms", "unknown"}}); !st) {
        return std::unexpected(st.error());
      }
      return true;
    }
    d.bake["resolved"] = true;
    d.state = kPaused;
    d.reason = fmt::format("the bake ended with the {}; {} is kept ready — resume to retire it, or roll back",
                           why, d.oldFleet);
    if (auto st = commit(d, "deployment.phase", {{"alarms", "unknown"}}); !st) return std::unexpected(st.error());
    return true;
  }
  return false;
}

}  // namespace ramp::engine
