// BlueGreen.cpp — the phases of a blue/green (and all-at-once) deployment.
//
//   start            ensure the entry point; note the current stable fleet (blue)
//   create_fleet     verify the release digest; create the green fleet
//   wait_healthy     until every green instance is healthy, or the deadline
//   smoke_test       optional command against green alone
//   switch           desired weights: green 100, blue 0 (blue drains)
//   verify_switch    until the data plane reports exactly that -> succeeded
//   bake             blue stays warm (role previous) until bake_until; the
//                    judge and the alarms watch green meanwhile (Bake.cpp)
//   drain_previous   until blue has no request in flight (bounded)
//   retire_previous  blue's instances are stopped -> done
//   fail_cleanup     green is retired, traffic never moved -> failed
//
// Across regions (Waves.cpp) a region that is not the last one does not
// end the deployment at verify_switch: it bakes, retires its previous fleet
// and goes to wave_done, which starts the next region at "start".
//
// Each phase is committed before its side effect and its side effect is
// idempotent (see Engine.h), so re-running a phase after a crash is safe.
#include <fmt/format.h>

#include "engine/Engine.h"

namespace ramp::engine {

using nlohmann::json;

Result<bool> Engine::runPhase(Deployment& d, const ServicePlan& plan) {
  const auto key = keyOf(d);
  const int64_t now = toUnixMillis(clock_.now());

  if (d.phase == Phase::kStart) {
    auto url = traffic_.ensureEntrypoint(key);
    if (!url) return std::unexpected(url.error());
    if (auto st = store_.putSetting("url:" + entrypointName(key), *url, options_.fence); !st) {
      return std::unexpected(st.error());
    }
    if (auto st = rememberEntrypoint(key, plan.entrypointPort); !st) return std::unexpected(st.error());
    auto stable = stableFleet(key);
    if (!stable) return std::unexpected(stable.error());
    if (*stable && **stable != d.newFleet) {
      d.oldFleet = **stable;
      if (auto fr = store_.getFleet(d.oldFleet)) d.oldVersion = fr->version;
    }
    if (d.strategy == "canary" && plan.baseline == "fresh" && !d.oldFleet.empty() && d.baselineFleet.empty()) {
      // FreshBaseline.cpp: a fleet of the stable release at the canary's size.
      d.baselineFleet = d.newFleet + "-baseline";
    }
    d.state = kRunning;
    d.started = true;
    d.step = d.strategy == "canary" ? 0 : 1;  // canary steps count from the first weight
    noteWave(d, {{"state", kRunning}, {"new_fleet", d.newFleet}, {"old_fleet", d.oldFleet},
                 {"old_version", d.oldVersion}, {"started_at", now}});
    if (auto st = enterPhase(d, Phase::kCreateFleet, {{"entrypoint", *url}, {"previous_fleet", d.oldFleet}});
        !st) {
      return std::unexpected(st.error());
    }
    return true;
  }

  if (d.phase == Phase::kCreateFleet) {
    // This controller's copy of the release (another controller, on another
    // host, may have accepted the deployment: the catalog rebuilds the copy
    // from the store), its digest checked again right before anything starts.
    auto here = releases_.find(d.service, d.version);
    if (!here && here.error().code == ErrorCode::kUnavailable) return std::unexpected(here.error());
    Status checked = !here ? Status(std::unexpected(here.error()))
                     : here->digest != d.digest
                         ? Status(failedPrecondition("release " + d.service + " " + d.version + " is recorded as " +
                                                     here->digest + " but the deployment expects " + d.digest))
                         : releases_.verify(*here);
    if (!checked) {
      d.reason = checked.error().describe();
      if (auto st = enterPhase(d, Phase::kFailCleanup); !st) return std::unexpected(st.error());
      return true;
    }
    d.releasePath = here->path;
    auto spec = fleetSpec(d, plan);
    if (!spec) return std::unexpected(spec.error());
    if (auto st = recordFleet(d, d.newFleet, "creating"); !st) return std::unexpected(st.error());
    if (auto st = fleets_.createFleet(*spec); !st) {
      d.reason = "could not create fleet " + d.newFleet + ": " + st.error().describe();
      if (auto st2 = enterPhase(d, Phase::kFailCleanup); !st2) return std::unexpected(st2.error());
      return true;
    }
    if (auto b = createBaselineFleet(d, plan); !b || !*b) {
      if (!b) return std::unexpected(b.error());
      if (auto st2 = enterPhase(d, Phase::kFailCleanup); !st2) return std::unexpected(st2.error());
      return true;
    }
    d.deadlineAt = now + plan.healthDeadline.count();
    if (d.strategy != "canary") d.step = 2;
    if (auto st = enterPhase(d, Phase::kWaitHealthy,
                             {{"fleet", d.newFleet}, {"instances", plan.instances},
                              {"deadline_at", formatTime(fromUnixMillis(d.deadlineAt))}});
        !st) {
      return std::unexpected(st.error());
    }
    return true;
  }

  if (d.phase == Phase::kWaitHealthy) {
    auto st = fleets_.fleetStatus(d.newFleet);
    if (!st) return std::unexpected(st.error());
    // An autoscaled fleet is ready when all of its desired instances are
    // (it started at the current fleet's capacity, not at plan.instances).
    int want = plan.scaling && st->desired > 0 ? st->desired : plan.instances;
    int baselineHealthy = want;
    if (!d.baselineFleet.empty()) {
      auto b = fleets_.fleetStatus(d.baselineFleet);
      if (!b) return std::unexpected(b.error());
      baselineHealthy = b->healthy;
    }
    if (st->healthy >= want && baselineHealthy >= want) {
      if (!d.baselineFleet.empty()) {
        if (auto r = markFleet(d.baselineFleet, "active"); !r) return std::unexpected(r.error());
      }
      if (auto r = recordFleet(d, d.newFleet, "active"); !r) return std::unexpected(r.error());
      bool canary = d.strategy == "canary";
      d.step = canary ? 1 : 3;
      if (auto r = enterPhase(d, !plan.smokeTest.empty() ? Phase::kSmokeTest : canary ? Phase::kCanaryStep : Phase::kSwitch,
                              {{"fleet", d.newFleet}, {"healthy", st->healthy}});
          !r) {
        return std::unexpected(r.error());
      }
      return true;
    }
    if (now >= d.deadlineAt) {
      std::string lastError = st->error;
      for (auto& i : st->instances) {
        if (lastError.empty() && !i.lastError.empty()) lastError = i.lastError;
      }
      d.reason = fmt::format("fleet {} did not become healthy within {} ms: {}/{} healthy{}",
                             d.newFleet, plan.healthDeadline.count(), st->healthy, want,
                             lastError.empty() ? "" : "; last error: " + lastError);
      if (baselineHealthy < want) {
        d.reason += fmt::format("; baseline fleet {}: {}/{} healthy", d.baselineFleet, baselineHealthy,
                                want);
      }
      if (auto r = enterPhase(d, Phase::kFailCleanup); !r) return std::unexpected(r.error());
      return true;
    }
    return false;
  }

  if (d.phase == Phase::kSmokeTest) {
    auto st = fleets_.fleetStatus(d.newFleet);
    if (!st) return std::unexpected(st.error());
    std::string target;
    for (auto& i : st->instances) {
      if (i.state == "healthy") {
        target = "http://" + i.address;
        break;
      }
    }
    int rc = options_.runCommand(plan.smokeTest,
                                 {{"RAMP_TARGET_URL", target},
                                  {"RAMP_FLEET_ID", d.newFleet},
                                  {"RAMP_SERVICE", d.service},
                                  {"RAMP_ENV", d.env},
                                  {"RAMP_RELEASE_VERSION", d.version}},
                                 std::chrono::milliseconds(60000));
    if (rc != 0) {
      d.reason = fmt::format("smoke test `{}` against {} exited {}", plan.smokeTest, target, rc);
      if (auto r = enterPhase(d, Phase::kFailCleanup); !r) return std::unexpected(r.error());
      return true;
    }
    if (d.strategy != "canary") d.step++;
    if (auto r = enterPhase(d, d.strategy == "canary" ? Phase::kCanaryStep : Phase::kSwitch, {{"smoke_test", "passed"}}); !r) {
      return std::unexpected(r.error());
    }
    return true;
  }

  if (d.phase == Phase::kSwitch) {
    // Scaling of both fleets held before traffic moves (released in verify_switch).
    if (auto st = holdScaling(d, plan, true); !st) return std::unexpected(st.error());
    // The judge's baseline for the bake: blue's counters up to now.
    if (auto st = fixBakeWindow(d, plan); !st) return std::unexpected(st.error());
    auto tp = loadPlan(key);
    if (!tp) return std::unexpected(tp.error());
    tp->sendAllTo(d.newFleet);
    if (auto st = savePlan(key, *tp, options_.owner, d.id); !st) return std::unexpected(st.error());
    if (auto st = reconcileTraffic(key); !st) return std::unexpected(st.error());
    if (auto st = enterPhase(d, Phase::kVerifySwitch, {{"weights", tp->weights}}); !st) {
      return std::unexpected(st.error());
    }
    return true;
  }

  if (d.phase == Phase::kVerifySwitch) {
    auto v = trafficVerified(key);
    if (!v) return std::unexpected(v.error());
    if (!*v) {
      if (auto st = reconcileTraffic(key); !st) return std::unexpected(st.error());
      return false;
    }
    if (auto st = setStableFleet(key, d.newFleet, d.version); !st) return std::unexpected(st.error());
    // Switch verified: scaling of both fleets released (held since switch/canary_step).
    if (auto st = holdScaling(d, plan, false); !st) return std::unexpected(st.error());
    if (auto st = retireBaselineFleet(d, plan); !st) return std::unexpected(st.error());
    if (!d.lastWave()) {
      // Waves (Waves.cpp): this region switched; it bakes and retires its
      // previous fleet before the next region starts. Not the end of the
      // deployment: nothing terminal, no deployment.finished.
      d.reason = fmt::format("traffic verified on {} in {}", d.newFleet, d.region);
      d.step = d.strategy == "canary" ? d.steps : d.steps - (d.oldFleet.empty() ? 0 : 1);
      bool keepWarm = !d.oldFleet.empty() && d.strategy != "all-at-once";
      d.bakeUntil = now + (keepWarm ? plan.bake.count() : 0);
      if (d.oldFleet.empty()) {
        if (auto st = completeWave(d); !st) return std::unexpected(st.error());
        return true;
      }
      if (auto st = enterPhase(d, Phase::kBake, {{"bake_until", formatTime(fromUnixMillis(d.bakeUntil))},
                                           {"region", d.region}});
          !st) {
        return std::unexpected(st.error());
      }
      return true;
    }
    d.finishedAt = now;
    if (d.kind == "rollback") {
      d.state = kRolledBack;
      d.reason = fmt::format("rolled back {} to {}: traffic verified on {}", d.rollsBack, d.version,
                             d.newFleet);
      // The deployment this one undoes ends rolled_back too.
      if (auto orig = get(d.rollsBack); orig && orig->state == kSucceeded) {
        orig->state = kRolledBack;
        orig->reason = "rolled back by " + d.id + " (" + d.createdBy + ")";
        if (auto st = commit(*orig, "deployment.finished"); !st) return std::unexpected(st.error());
      }
    } else {
      d.state = kSucceeded;
      d.reason = "traffic verified on " + d.newFleet;
      if (d.hasWaves()) d.reason += fmt::format(" in {}; every region ({}) runs {}", d.region, d.waves.size(), d.version);
    }
    noteWave(d, {{"state", d.state}, {"finished_at", now}, {"reason", d.reason}});
    d.step = d.strategy == "canary" ? d.steps : d.steps - (d.oldFleet.empty() ? 0 : 1);
    bool keepWarm = !d.oldFleet.empty() && d.strategy != "all-at-once";
    d.bakeUntil = now + (keepWarm ? plan.bake.count() : 0);
    d.phase = d.oldFleet.empty() ? Phase::kDone : Phase::kBake;
    if (d.oldFleet.empty()) d.step = d.steps;
    if (auto st = commit(d, "deployment.finished",
                         {{"bake_until", formatTime(fromUnixMillis(d.bakeUntil))}});
        !st) {
      return std::unexpected(st.error());
    }
    return true;
  }

  if (d.phase == Phase::kBake) {
    auto moved = watchBake(d, plan);
    if (!moved) return std::unexpected(moved.error());
    if (*moved) return true;
    if (now < d.bakeUntil) return false;
    // Resumed after a pause at the end of the bake: the switch succeeded.
    if (d.state == kRunning && d.kind == "deploy" && d.lastWave()) d.state = kSucceeded;
    if (auto st = enterPhase(d, Phase::kDrainPrevious, {{"fleet", d.oldFleet}}); !st) {
      return std::unexpected(st.error());
    }
    return true;
  }

  if (d.phase == Phase::kDrainPrevious) {
    auto inflight = traffic_.inflight(key, d.oldFleet);
    bool drained = inflight && *inflight == 0;
    if (!drained && now < d.bakeUntil + plan.drainTimeout.count()) return false;
    auto tp = loadPlan(key);
    if (!tp) return std::unexpected(tp.error());
    if (tp->weights.contains(d.oldFleet) && tp->weights.at(d.oldFleet) == 0) {
      tp->remove(d.oldFleet);
      if (auto st = savePlan(key, *tp, options_.owner, d.id); !st) return std::unexpected(st.error());
      if (auto st = reconcileTraffic(key); !st) return std::unexpected(st.error());
    }
    if (auto st = enterPhase(d, Phase::kRetirePrevious,
                             {{"fleet", d.oldFleet}, {"drained", drained}});
        !st) {
      return std::unexpected(st.error());
    }
    return true;
  }

  if (d.phase == Phase::kRetirePrevious) {
    // Never retire a fleet that carries traffic (a later deployment may have
    // switched back to it).
    auto tp = loadPlan(key);
    if (!tp) return std::unexpected(tp.error());
    if (!(tp->weights.contains(d.oldFleet) && tp->weights.at(d.oldFleet) > 0)) {
      if (auto st = fleets_.retireFleet(d.oldFleet, plan.drainTimeout); !st) {
        return std::unexpected(st.error());
      }
      if (auto st = markFleet(d.oldFleet, "retired"); !st) return std::unexpected(st.error());
    }
    d.step = d.steps;
    if (!d.lastWave()) {
      if (auto st = completeWave(d); !st) return std::unexpected(st.error());
      return true;
    }
    if (auto st = enterPhase(d, Phase::kDone, {{"retired", d.oldFleet}}); !st) return std::unexpected(st.error());
    return false;
  }

  if (d.phase == Phase::kFailCleanup) {
    // Holds taken by this deployment are released whatever failed.
    if (auto st = holdScaling(d, plan, false); !st) return std::unexpected(st.error());
    auto tp = loadPlan(key);
    if (!tp) return std::unexpected(tp.error());
    if (tp->weights.contains(d.newFleet)) {
      tp->remove(d.newFleet);
      if (auto st = savePlan(key, *tp, options_.owner, d.id); !st) return std::unexpected(st.error());
      if (auto st = reconcileTraffic(key); !st) return std::unexpected(st.error());
    }
    if (auto st = fleets_.retireFleet(d.newFleet, plan.drainTimeout); !st) {
      return std::unexpected(st.error());
    }
    if (auto st = markFleet(d.newFleet, "failed"); !st) return std::unexpected(st.error());
    if (auto st = retireBaselineFleet(d, plan); !st) return std::unexpected(st.error());
    // rollback_all_regions: the regions that took the release go back too.
    bool undoRegions = d.rollbackAllRegions && !keptRegions(d).empty();
    d.phase = undoRegions ? Phase::kRbRegions : Phase::kDone;
    stopWaves(d, d.endState.empty() ? kFailed : d.endState, false);
    if (auto st = finish(d, d.endState.empty() ? kFailed : d.endState, d.reason); !st) {
      return std::unexpected(st.error());
    }
    return undoRegions;
  }

  if (d.phase == Phase::kDone) return false;
  return internal(fmt::format("phase {} is not one of the fleet phases", phaseName(d.phase)), d.id);
}

}  // namespace ramp::engine
