#include "engine/BakePhases.h"

#include <algorithm>

#include <fmt/format.h>

#include "analysis/Judge.h"
#include "engine/CounterSnapshot.h"
#include "engine/CounterWindow.h"
#include "engine/WavePhases.h"

namespace ramp::engine {

using nlohmann::json;

namespace {

constexpr int64_t kLookMs = 1000;
constexpr size_t kMaxSamples = 20;

bool watchesBake(const Deployment& d, const ServicePlan& plan) {
  return d.kind == "deploy" && !d.oldFleet.empty() && plan.bake.count() > 0 && d.strategy != "all-at-once";
}

}  // namespace

Result<Transition> BakePhases::run(RunContext& ctx) {
  static constexpr PhaseStep kSteps[] = {
      {Phase::kBake, bake}, {Phase::kDrainPrevious, drainPrevious}, {Phase::kRetirePrevious, retirePrevious}};
  return runStep(ctx, kSteps, "bake");
}

Status BakePhases::sampleBeforeSwitch(RunContext& ctx) {
  auto& d = ctx.d;
  const auto& plan = ctx.plan;
  if (!watchesBake(d, plan) || !plan.hasMetrics()) return ok();
  const int64_t now = ctx.now;
  auto& samples = d.bake.samples;
  int64_t every = std::max<int64_t>(kLookMs, plan.bake.count() / 8);
  if (!samples.empty() && now - samples.back().at < every) return ok();
  auto m = ctx.parts.metrics.fleetMetrics(ctx.key(), d.oldFleet);
  if (!m) return ok();  // best effort: the next look tries again
  samples.push_back({now, CounterSnapshot::of(*m)});
  // Keep the newest sample at least a bake old, and everything newer.
  size_t keepFrom = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (samples[i].at <= now - plan.bake.count()) keepFrom = i;
  }
  samples.erase(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(keepFrom));
  while (samples.size() > kMaxSamples) samples.erase(samples.begin());
  return ctx.save();
}

Status BakePhases::fixWindow(RunContext& ctx) {
  auto& d = ctx.d;
  const auto& plan = ctx.plan;
  if (!watchesBake(d, plan) || !plan.hasMetrics()) return ok();
  const int64_t now = ctx.now;
  const auto key = ctx.key();
  auto samples = d.bake.samples;
  auto blue = ctx.parts.metrics.fleetMetrics(key, d.oldFleet);
  auto green = ctx.parts.metrics.fleetMetrics(key, d.newFleet);
  std::string unavailable;
  if (!blue) unavailable = "the previous fleet's metrics: " + blue.error().describe();
  // Before the switch the new fleet has had no traffic through the entry
  // point (the local router does not even know it yet: it was never in a
  // split), so its counters start from zero.
  providers::FleetMetrics greenStart;
  if (green) greenStart = *green;
  if (unavailable.empty() && samples.empty()) unavailable = "no measurement of the previous fleet before the switch";
  if (!unavailable.empty()) {
    d.bake = BakeWatch{};
    d.bake.judged = true;
    d.bake.skipped = unavailable;
    return ctx.audit("bake.analysis_unavailable", {{"reason", "the bake is watched by alarms only: " + unavailable}});
  }
  // The newest sample at least a bake before the switch; else the oldest.
  BakeSample from = samples.front();
  for (const auto& s : samples) {
    if (s.at <= now - plan.bake.count()) from = s;
  }
  int64_t windowMs = now - from.at;
  // The previous fleet's counts over the window, carried across router
  // restarts: every sample from `from` on is looked at through a
  // CounterWindow (issue 16), so a restart inside the window does not leave
  // the judge with only what was counted since it (a blind baseline, judged
  // "low traffic" and rolled back by on_inconclusive: rollback).
  const CounterSnapshot blueTo = CounterSnapshot::of(*blue);
  auto blueWindow = CounterWindow::startAt(from.blue.toJson());
  uint64_t baselineRequests = 0;
  for (const auto& s : samples) {
    if (s.at <= from.at || !blueWindow) continue;
    if (auto l = blueWindow->look(s.blue.toJson()); !l) blueWindow = std::unexpected(l.error());
  }
  if (blueWindow) {
    if (auto l = blueWindow->look(blueTo.toJson()); !l) {
      blueWindow = std::unexpected(l.error());
    } else if (auto it = l->measurements.errors.find("error_rate"); it != l->measurements.errors.end()) {
      baselineRequests = it->second.requests;
    }
  }
  if (!blueWindow) {
    const std::string why = "the previous fleet's counters: " + blueWindow.error().describe();
    d.bake = BakeWatch{};
    d.bake.judged = true;
    d.bake.skipped = why;
    return ctx.audit("bake.analysis_unavailable", {{"reason", "the bake is watched by alarms only: " + why}});
  }
  d.bake = BakeWatch{};
  d.bake.blueFrom = from.blue;
  d.bake.blueTo = blueTo;
  d.bake.blueWindow = *blueWindow;
  d.bake.greenFrom = CounterSnapshot::of(greenStart);
  d.bake.windowMs = windowMs;
  d.bake.nextLookAt = now + kLookMs;
  return ctx.audit("bake.window", {{"baseline_fleet", d.oldFleet},
                                   {"window_ms", windowMs},
                                   {"baseline_requests", baselineRequests},
                                   {"baseline_restarts", d.bake.blueWindow->restarts()}});
}

Result<std::optional<Transition>> BakePhases::watch(RunContext& ctx) {
  auto& d = ctx.d;
  const auto& plan = ctx.plan;
  if (!watchesBake(d, plan) || d.bake.resolved) return std::nullopt;
  const int64_t now = ctx.now;
  const bool final = now >= d.bakeUntil;
  const std::string policy = plan.analysis.value("on_inconclusive", std::string("pause"));

  bool unknown = false;
  if (auto alarm = ctx.firingAlarm(final, unknown)) {
    return ctx.startRollback(fmt::format("alarm {} is in ALARM during the bake of {}", *alarm, d.newFleet),
                             {{"alarm", *alarm}});
  }

  // The bake judges the router's metrics: the window before the switch is
  // the router's counters. Metrics read from Prometheus are judged in the
  // canary's analysis steps only (their budget share stays unused).
  const json configured = plan.analysis.value("metrics", json::array());
  json routerMetrics = json::array();
  for (const auto& m : configured) {
    if (!CounterSnapshot::isQueryMetric(m)) routerMetrics.push_back(m);
  }
  const bool onlyQueries = configured.is_array() && !configured.empty() && routerMetrics.empty();
  const bool judging = plan.hasMetrics() && !onlyQueries && d.bake.blueFrom && !d.bake.judged;
  if (judging && (final || now >= d.bake.nextLookAt)) {
    auto cfg = CounterSnapshot::judgeConfig(plan.analysis, plan.analyses * std::max(1, static_cast<int>(d.waves.size())));
    auto greenNow = ctx.parts.metrics.fleetMetrics(ctx.key(), d.newFleet);
    if (!cfg || !greenNow) {
      std::string why = !cfg ? cfg.error().describe() : greenNow.error().describe();
      d.bake.nextLookAt = now + kLookMs;
      if (!cfg || final) {
        d.bake.judged = true;
        (void)ctx.audit("bake.analysis_unavailable", {{"reason", why}});
      }
      if (auto st = ctx.save(); !st) return std::unexpected(st.error());
    } else {
      std::erase_if(cfg->metrics, [&](const analysis::MetricSpec& m) {
        for (const auto& r : routerMetrics) {
          if (r.value("name", "") == m.name) return false;
        }
        return !routerMetrics.empty();
      });
      // Green's counters through a window that survives a router restart
      // (CounterWindow.h; a record older than it starts one at greenFrom).
      const CounterSnapshot greenSnap = CounterSnapshot::of(*greenNow);
      Result<analysis::Measurements> green = std::unexpected(Error{});
      Result<CounterWindow> window =
          d.bake.greenWindow ? Result<CounterWindow>(*d.bake.greenWindow) : CounterWindow::startAt(d.bake.greenFrom->toJson());
      if (!window) {
        green = std::unexpected(window.error());
      } else if (auto seen = window->look(greenSnap.toJson()); !seen) {
        green = std::unexpected(seen.error());
      } else {
        green = CounterSnapshot::named(seen->measurements, *d.bake.greenFrom, greenSnap, routerMetrics);
        d.bake.greenWindow = std::move(*window);
        if (seen->restarted) (void)ctx.audit("analysis.restart", {{"during", "bake"}, {"green", seen->restart}});
      }
      // The previous fleet over the window before the switch, across
      // restarts (fixWindow); a record without it (older) as before.
      Result<analysis::Measurements> blue = std::unexpected(Error{});
      if (d.bake.blueWindow) {
        CounterWindow bw = *d.bake.blueWindow;
        if (auto bl = bw.look(d.bake.blueTo->toJson()); !bl) {
          blue = std::unexpected(bl.error());
        } else {
          blue = CounterSnapshot::named(bl->measurements, *d.bake.blueFrom, *d.bake.blueTo, routerMetrics);
        }
      } else {
        blue = CounterSnapshot::between(*d.bake.blueFrom, *d.bake.blueTo, routerMetrics);
      }
      Result<analysis::Judge::Step> step = std::unexpected(Error{});
      if (green && blue) step = analysis::Judge::step(d.bake.state, *green, *blue, *cfg, final);
      if (!step) {
        std::string why = !green ? green.error().describe() : !blue ? blue.error().describe() : step.error().describe();
        d.bake.judged = true;
        (void)ctx.audit("bake.analysis_unavailable", {{"reason", why}});
        if (auto st = ctx.save(); !st) return std::unexpected(st.error());
      } else {
        d.bake.state = step->state;
        d.bake.nextLookAt = now + kLookMs;
        const auto& verdict = step->verdict;
        json vj = verdict.toJson();
        vj["during"] = "bake";
        vj["baseline_window_ms"] = d.bake.windowMs;
        d.keepVerdict(vj);
        if (verdict.outcome == analysis::Outcome::kContinue) {
          if (auto st = ctx.save(); !st) return std::unexpected(st.error());
        } else {
          d.bake.judged = true;
          if (auto st = ctx.audit("verdict", vj); !st) return std::unexpected(st.error());
          bool fail = verdict.outcome == analysis::Outcome::kFail;
          bool inconclusive = verdict.outcome == analysis::Outcome::kInconclusive;
          if (fail || (inconclusive && policy == "rollback")) {
            std::string why = fmt::format("{} {} during the bake (against {} before the switch): {}", d.newFleet,
                                          fail ? "failed analysis" : "was inconclusive", d.oldFleet, verdict.reason);
            return ctx.startRollback(why, {{"verdict", std::string(analysis::outcomeName(verdict.outcome))}});
          }
          if (auto st = ctx.save(); !st) return std::unexpected(st.error());
        }
      }
    }
  }

  if (final && unknown) {
    std::string why = ctx.alarmError();
    if (policy == "rollback") return ctx.startRollback("the bake ended with the " + why, {{"alarms", "unknown"}});
    d.bake.resolved = true;
    d.state = kPaused;
    d.reason = fmt::format("the bake ended with the {}; {} is kept ready — resume to retire it, or roll back", why,
                           d.oldFleet);
    return Transition::save("deployment.phase", {{"alarms", "unknown"}});
  }
  return std::nullopt;
}

Result<Transition> BakePhases::bake(RunContext& ctx) {
  auto& d = ctx.d;
  auto moved = watch(ctx);
  if (!moved) return std::unexpected(moved.error());
  if (*moved) return std::move(**moved);
  if (ctx.now < d.bakeUntil) return Transition::wait();
  // Resumed after a pause at the end of the bake: the switch succeeded.
  if (d.state == kRunning && d.kind == "deploy" && d.lastWave()) d.state = kSucceeded;
  return Transition::move(Phase::kDrainPrevious, {{"fleet", d.oldFleet}});
}

Result<Transition> BakePhases::drainPrevious(RunContext& ctx) {
  auto& d = ctx.d;
  auto inflight = ctx.parts.traffic.inflight(ctx.key(), d.oldFleet);
  bool drained = inflight && *inflight == 0;
  if (!drained && ctx.now < d.bakeUntil + ctx.plan.drainTimeout.count()) return Transition::wait();
  auto tp = ctx.parts.entrypoints.plan(ctx.key());
  if (!tp) return std::unexpected(tp.error());
  if (tp->weights.contains(d.oldFleet) && tp->weights.at(d.oldFleet) == 0) {
    auto edited = ctx.editTraffic([&](TrafficPlan& p) { p.remove(d.oldFleet); });
    if (!edited) return std::unexpected(edited.error());
  }
  return Transition::move(Phase::kRetirePrevious, {{"fleet", d.oldFleet}, {"drained", drained}});
}

Result<Transition> BakePhases::retirePrevious(RunContext& ctx) {
  auto& d = ctx.d;
  // Never retire a fleet that carries traffic (a later deployment may have
  // switched back to it).
  auto tp = ctx.parts.entrypoints.plan(ctx.key());
  if (!tp) return std::unexpected(tp.error());
  if (!(tp->weights.contains(d.oldFleet) && tp->weights.at(d.oldFleet) > 0)) {
    if (auto st = ctx.parts.fleets.retireFleet(d.oldFleet, ctx.plan.drainTimeout); !st) {
      return std::unexpected(st.error());
    }
    if (auto st = ctx.parts.ledger.markFleet(d.oldFleet, "retired"); !st) return std::unexpected(st.error());
  }
  d.step = d.steps;
  if (!d.lastWave()) return WavePhases::completeWave(d, ctx.now);
  return Transition::move(Phase::kDone, {{"retired", d.oldFleet}});
}

}  // namespace ramp::engine
