// Each phase is committed before its side effect and its side effect is
// idempotent (see Engine.h), so re-running a phase after a crash is safe.
#include "engine/BlueGreenPhases.h"

#include <fmt/format.h>

#include "engine/BakePhases.h"
#include "engine/WavePhases.h"

namespace ramp::engine {

using nlohmann::json;

namespace {

Result<Transition> start(RunContext& ctx) {
  auto& d = ctx.d;
  const auto key = ctx.key();
  auto url = ctx.parts.entrypoints.ensure(key);
  if (!url) return std::unexpected(url.error());
  // Waves: the region leaves DNS before its traffic changes, where the
  // environment asks for it (engine/RegionDrain.cpp); wait until it is in
  // effect.
  if (d.hasWaves()) {
    // Never two regions out of DNS at once: every other region of the
    // deployment is back (read back) before this one leaves. (The strand
    // puts a finished wave's region back only after advancing, so without
    // this a wave that ends and the next that starts in one advance had
    // both regions at weight 0: the name led nowhere. Seen on moto.)
    for (const auto& w : d.waves) {
      if (w.region == d.region) continue;
      auto back = ctx.parts.traffic.drainRegion({d.service, d.env, w.region}, false);
      if (!back) return std::unexpected(back.error());
      if (!*back) return Transition::wait();
    }
    auto drained = ctx.parts.traffic.drainRegion(key, true);
    if (!drained) return std::unexpected(drained.error());
    if (!*drained) return Transition::wait();
  }
  auto stable = ctx.parts.entrypoints.stableFleet(key);
  if (!stable) return std::unexpected(stable.error());
  if (*stable && **stable != d.newFleet) {
    d.oldFleet = **stable;
    if (auto fr = ctx.parts.ledger.store().getFleet(d.oldFleet)) d.oldVersion = fr->version;
  }
  if (d.strategy == "canary" && ctx.plan.baseline == "fresh" && !d.oldFleet.empty() && d.baselineFleet.empty()) {
    // RunContext::createBaselineFleet: a fleet of the stable release at the canary's size.
    d.baselineFleet = d.newFleet + "-baseline";
  }
  d.state = kRunning;
  d.started = true;
  d.step = d.strategy == "canary" ? 0 : 1;  // canary steps count from the first weight
  if (d.hasWaves()) {
    auto& w = d.currentWave();
    w.state = kRunning;
    w.newFleet = d.newFleet;
    w.oldFleet = d.oldFleet;
    w.oldVersion = d.oldVersion;
    w.startedAt = ctx.now;
  }
  return Transition::move(Phase::kCreateFleet, {{"entrypoint", *url}, {"previous_fleet", d.oldFleet}});
}

Result<Transition> createFleet(RunContext& ctx) {
  auto& d = ctx.d;
  // This controller's copy of the release (another controller, on another
  // host, may have accepted the deployment: the catalog rebuilds the copy
  // from the store), its digest checked again right before anything starts.
  // A store that cannot answer says nothing about the release: retried
  // (Engine::errorExit), never a failed deployment.
  auto here = ctx.parts.releases.find(d.service, d.version);
  if (!here && here.error().code == ErrorCode::kUnavailable) return std::unexpected(here.error());
  Status checked = !here ? Status(std::unexpected(here.error()))
                   : here->digest != d.digest
                       ? Status(failedPrecondition("release " + d.service + " " + d.version + " is recorded as " +
                                                   here->digest + " but the deployment expects " + d.digest))
                       : ctx.parts.releases.verify(*here);
  if (!checked && checked.error().code == ErrorCode::kUnavailable) return std::unexpected(checked.error());
  if (!checked) {
    d.reason = checked.error().describe();
    return Transition::move(Phase::kFailCleanup);
  }
  d.releasePath = here->path;
  auto spec = ctx.fleetSpec();
  if (!spec) return std::unexpected(spec.error());
  if (auto st = ctx.parts.ledger.recordFleet(d, d.newFleet, "creating"); !st) return std::unexpected(st.error());
  if (auto st = ctx.parts.fleets.createFleet(*spec); !st) {
    d.reason = "could not create fleet " + d.newFleet + ": " + st.error().describe();
    return Transition::move(Phase::kFailCleanup);
  }
  auto baseline = ctx.createBaselineFleet();
  if (!baseline) return std::unexpected(baseline.error());
  if (!*baseline) return Transition::move(Phase::kFailCleanup);
  d.deadlineAt = ctx.now + ctx.plan.healthDeadline.count();
  if (d.strategy != "canary") d.step = 2;
  return Transition::move(Phase::kWaitHealthy, {{"fleet", d.newFleet},
                                                {"instances", ctx.plan.instances},
                                                {"deadline_at", formatTime(fromUnixMillis(d.deadlineAt))}});
}

Result<Transition> waitHealthy(RunContext& ctx) {
  auto& d = ctx.d;
  const auto& plan = ctx.plan;
  auto st = ctx.parts.fleets.fleetStatus(d.newFleet);
  if (!st) return std::unexpected(st.error());
  // An autoscaled fleet is ready when all of its desired instances are
  // (it started at the current fleet's capacity, not at plan.instances).
  int want = plan.scaling && st->desired > 0 ? st->desired : plan.instances;
  int baselineHealthy = want;
  if (!d.baselineFleet.empty()) {
    auto b = ctx.parts.fleets.fleetStatus(d.baselineFleet);
    if (!b) return std::unexpected(b.error());
    baselineHealthy = b->healthy;
  }
  if (st->healthy >= want && baselineHealthy >= want) {
    if (!d.baselineFleet.empty()) {
      if (auto r = ctx.parts.ledger.markFleet(d.baselineFleet, "active"); !r) return std::unexpected(r.error());
    }
    if (auto r = ctx.parts.ledger.recordFleet(d, d.newFleet, "active"); !r) return std::unexpected(r.error());
    bool canary = d.strategy == "canary";
    d.step = canary ? 1 : 3;
    Phase next = !plan.smokeTest.empty() ? Phase::kSmokeTest : canary ? Phase::kCanaryStep : Phase::kSwitch;
    return Transition::move(next, {{"fleet", d.newFleet}, {"healthy", st->healthy}});
  }
  if (ctx.now < d.deadlineAt) return Transition::wait();
  std::string lastError = st->error;
  for (auto& i : st->instances) {
    if (lastError.empty() && !i.lastError.empty()) lastError = i.lastError;
  }
  d.reason = fmt::format("fleet {} did not become healthy within {} ms: {}/{} healthy{}", d.newFleet,
                         plan.healthDeadline.count(), st->healthy, want,
                         lastError.empty() ? "" : "; last error: " + lastError);
  if (baselineHealthy < want) {
    d.reason += fmt::format("; baseline fleet {}: {}/{} healthy", d.baselineFleet, baselineHealthy, want);
  }
  return Transition::move(Phase::kFailCleanup);
}

Result<Transition> smokeTest(RunContext& ctx) {
  auto& d = ctx.d;
  auto st = ctx.parts.fleets.fleetStatus(d.newFleet);
  if (!st) return std::unexpected(st.error());
  std::string target;
  for (auto& i : st->instances) {
    if (i.state == "healthy") {
      target = "http://" + i.address;
      break;
    }
  }
  auto rc = ctx.parts.runCommand(ctx.plan.smokeTest,
                                {{"RAMP_TARGET_URL", target},
                                 {"RAMP_FLEET_ID", d.newFleet},
                                 {"RAMP_SERVICE", d.service},
                                 {"RAMP_ENV", d.env},
                                 {"RAMP_RELEASE_VERSION", d.version}},
                                std::chrono::milliseconds(60000));
  if (!rc) return std::unexpected(rc.error());
  if (*rc != 0) {
    d.reason = fmt::format("smoke test `{}` against {} exited {}", ctx.plan.smokeTest, target, *rc);
    return Transition::move(Phase::kFailCleanup);
  }
  if (d.strategy != "canary") d.step++;
  return Transition::move(d.strategy == "canary" ? Phase::kCanaryStep : Phase::kSwitch, {{"smoke_test", "passed"}});
}

Result<Transition> switchTraffic(RunContext& ctx) {
  auto& d = ctx.d;
  // Scaling of both fleets held before traffic moves (released in verify_switch).
  if (auto st = ctx.holdScaling(true); !st) return std::unexpected(st.error());
  // The judge's baseline for the bake: blue's counters up to now.
  if (auto st = BakePhases::fixWindow(ctx); !st) return std::unexpected(st.error());
  auto tp = ctx.editTraffic([&](TrafficPlan& p) { p.sendAllTo(d.newFleet); });
  if (!tp) return std::unexpected(tp.error());
  return Transition::move(Phase::kVerifySwitch, {{"weights", tp->weights}});
}

Result<Transition> verifySwitch(RunContext& ctx) {
  auto& d = ctx.d;
  const int64_t now = ctx.now;
  // Once verified, the scaling of both fleets (held since switch/canary_step) is released.
  auto switched = ctx.confirmSwitch(d.newFleet, d.version);
  if (!switched) return std::unexpected(switched.error());
  if (!*switched) return Transition::wait();
  if (auto st = ctx.retireBaselineFleet(); !st) return std::unexpected(st.error());
  const bool keepWarm = !d.oldFleet.empty() && d.strategy != "all-at-once";
  if (!d.lastWave()) {
    // Waves: this region switched; it bakes and retires its previous fleet
    // before the next region starts. Not the end of the deployment: nothing
    // terminal, no deployment.finished.
    d.reason = fmt::format("traffic verified on {} in {}", d.newFleet, d.region);
    d.step = d.strategy == "canary" ? d.steps : d.steps - (d.oldFleet.empty() ? 0 : 1);
    d.bakeUntil = now + (keepWarm ? ctx.plan.bake.count() : 0);
    if (d.oldFleet.empty()) return WavePhases::completeWave(d, now);
    return Transition::move(Phase::kBake,
                            {{"bake_until", formatTime(fromUnixMillis(d.bakeUntil))}, {"region", d.region}});
  }
  d.finishedAt = now;
  if (d.kind == "rollback") {
    d.state = kRolledBack;
    d.reason = fmt::format("rolled back {} to {}: traffic verified on {}", d.rollsBack, d.version, d.newFleet);
    // The deployment this one undoes ends rolled_back too.
    if (auto orig = ctx.parts.ledger.get(d.rollsBack); orig && orig->state == kSucceeded) {
      orig->state = kRolledBack;
      orig->reason = "rolled back by " + d.id + " (" + d.createdBy + ")";
      if (auto st = ctx.parts.ledger.commit(*orig, "deployment.finished"); !st) return std::unexpected(st.error());
    }
  } else {
    d.state = kSucceeded;
    d.reason = "traffic verified on " + d.newFleet;
    if (d.hasWaves()) d.reason += fmt::format(" in {}; every region ({}) runs {}", d.region, d.waves.size(), d.version);
  }
  if (d.hasWaves()) {
    auto& w = d.currentWave();
    w.state = d.state;
    w.finishedAt = now;
    w.reason = d.reason;
  }
  d.step = d.strategy == "canary" ? d.steps : d.steps - (d.oldFleet.empty() ? 0 : 1);
  d.bakeUntil = now + (keepWarm ? ctx.plan.bake.count() : 0);
  if (d.oldFleet.empty()) d.step = d.steps;
  return Transition::finish(d.oldFleet.empty() ? Phase::kDone : Phase::kBake,
                            {{"bake_until", formatTime(fromUnixMillis(d.bakeUntil))}});
}

Result<Transition> failCleanup(RunContext& ctx) {
  auto& d = ctx.d;
  // Holds taken by this deployment are released whatever failed.
  if (auto st = ctx.holdScaling(false); !st) return std::unexpected(st.error());
  auto tp = ctx.parts.entrypoints.plan(ctx.key());
  if (!tp) return std::unexpected(tp.error());
  if (tp->weights.contains(d.newFleet)) {
    auto edited = ctx.editTraffic([&](TrafficPlan& p) { p.remove(d.newFleet); });
    if (!edited) return std::unexpected(edited.error());
  }
  if (auto st = ctx.parts.fleets.retireFleet(d.newFleet, ctx.plan.drainTimeout); !st) {
    return std::unexpected(st.error());
  }
  if (auto st = ctx.parts.ledger.markFleet(d.newFleet, "failed"); !st) return std::unexpected(st.error());
  if (auto st = ctx.retireBaselineFleet(); !st) return std::unexpected(st.error());
  // rollback_all_regions: the regions that took the release go back too.
  const bool undoRegions = d.rollbackAllRegions && !WavePhases::keptRegions(d).empty();
  const std::string end = d.endState.empty() ? kFailed : d.endState;
  WavePhases::stopWaves(d, end, false, ctx.now);
  d.state = end;
  d.finishedAt = ctx.now;
  return Transition::finish(undoRegions ? Phase::kRbRegions : Phase::kDone);
}

}  // namespace

// The steps of this machine: one function a phase (the header lists what each does).
std::unique_ptr<PhaseMachine> blueGreenPhases() {
  static constexpr PhaseStep kSteps[] = {
      {Phase::kStart, start},
      {Phase::kCreateFleet, createFleet},
      {Phase::kWaitHealthy, waitHealthy},
      {Phase::kSmokeTest, smokeTest},
      {Phase::kSwitch, switchTraffic},
      {Phase::kVerifySwitch, verifySwitch},
      {Phase::kFailCleanup, failCleanup},
      {Phase::kDone, [](RunContext&) -> Result<Transition> { return Transition::wait(); }},
  };
  return std::make_unique<StepMachine>(kSteps, "bluegreen");
}

}  // namespace ramp::engine
