// Rollback.cpp — `ramp rollback SERVICE --env ENV`.
//
// Fast path: the newest deployment's previous fleet is still warm (its bake
// has not ended, or it is still mid-flight): traffic goes back to it in one
// data-plane update, verified, then the new fleet drains and is retired.
//   rb_switch -> rb_verify -> rb_drain -> rb_retire -> done (rolled_back)
// Slow path: the previous fleet is gone: a new deployment (kind rollback)
// deploys the previous successful release as a fresh fleet with the
// ordinary phases; when its traffic is verified both it and the deployment
// it undoes end rolled_back.
// Waves: a deployment that ended (rolled back, failed, aborted) in a later
// region while earlier regions kept its release: rollback redeploys the
// previous release to exactly those regions, in waves.
#include <algorithm>

#include <fmt/format.h>

#include "engine/Engine.h"

namespace ramp::engine {

using nlohmann::json;

Result<Deployment> Engine::rollback(const std::string& service, const std::string& env,
                                    const std::string& actor) {
  std::lock_guard lock(mu_);
  auto all = list(service, env, 200);
  if (!all) return std::unexpected(all.error());
  if (all->empty()) return notFound("no deployment of " + service + " in " + env, "service");
  // The newest deployment that has started (queued ones are not rolled back).
  auto started = std::find_if(all->begin(), all->end(), [](const Deployment& x) {
    return x.started || !isTerminalState(x.state) ? !isGate(x.phase) : false;
  });
  if (started == all->end()) return notFound("no started deployment of " + service + " in " + env, "service");
  Deployment d = *started;
  // Waves: a deployment that ended in a later region left the earlier ones
  // on its release; rolling it back redeploys the previous release there.
  if ((d.state == kRolledBack || d.state == kFailed || d.state == kAborted) && !keptRegions(d).empty()) {
    if (d.phase != Phase::kDone) {
      return conflict(fmt::format("{} is still finishing in {} ({}); try again in a moment", d.id, d.region, phaseName(d.phase)),
                      "service");
    }
    return rollbackKeptRegions(d, actor, false);
  }
  if (d.state == kRolledBack || d.state == kFailed || d.state == kAborted) {
    return failedPrecondition(fmt::format("the newest deployment of {} in {} ({}) already ended {}; "
                                          "nothing to roll back",
                                          service, env, d.id, d.state));
  }
  if (machineOf(d.phase) == Machine::kRollback) {
    return conflict("a rollback of " + d.id + " is already under way", "service");
  }
  // Fast path: the previous fleet is still warm (PhaseTable: rollback rows).
  if (auto to = PhaseTable::target(d.phase, Trigger::kRollback, factsOf(d))) {
    d.state = kRunning;
    d.reason = "rollback requested by " + actor;
    d.phase = *to;
    if (auto st = commit(d, "deployment.rollback", {{"to_fleet", d.oldFleet}, {"by", actor}}); !st) {
      return std::unexpected(st.error());
    }
    return d;
  }
  if (!isTerminalState(d.state)) {
    return failedPrecondition(fmt::format(
        "{} is still {} and has no previous fleet to switch back to; abort it instead", d.id, d.state));
  }
  // Slow path: redeploy the previous successful release.
  const Deployment* prev = nullptr;
  for (size_t i = 1; i < all->size(); ++i) {
    const auto& p = (*all)[i];
    if ((p.state == kSucceeded || (p.state == kRolledBack && p.kind == "rollback")) &&
        p.version != d.version) {
      prev = &p;
      break;
    }
  }
  if (!prev) {
    return failedPrecondition("no earlier successful release of " + service + " in " + env +
                              " to roll back to");
  }
  DeployRequest req;
  req.service = service;
  req.env = env;
  req.region = prev->region;
  req.version = prev->version;
  req.strategy = "bluegreen";
  req.rendered = prev->rendered;
  req.configDigest = prev->configDigest;
  req.configVersion = prev->configVersion;
  req.gitCommit = prev->gitCommit;
  req.gitDirty = prev->gitDirty;
  req.actor = actor;
  // A release deployed across regions is redeployed across the same regions.
  for (const auto& w : prev->waves) {
    req.waves.push_back({w.value("region", ""), w.value("rendered", json::object()), w.value("config_digest", "")});
  }
  if (!req.waves.empty()) req.region.clear();
  req.undo = true;  // undoing is never held at a gate
  auto r = submit(req);
  if (!r) return r;
  r->kind = "rollback";
  r->rollsBack = d.id;
  if (auto st = commit(*r, "deployment.rollback", {{"rolls_back", d.id}, {"by", actor}}); !st) {
    return std::unexpected(st.error());
  }
  return r;
}

std::vector<std::string> Engine::keptRegions(const Deployment& d) {
  std::vector<std::string> out;
  if (!d.hasWaves() || d.kind != "deploy" || d.state == kSucceeded) return out;
  for (const auto& w : d.waves) {
    if (w.value("state", "") == kSucceeded) out.push_back(w.value("region", ""));
  }
  return out;
}

Result<Deployment> Engine::rollbackKeptRegions(const Deployment& d, const std::string& actor, bool queue) {
  auto kept = keptRegions(d);
  if (kept.empty()) return failedPrecondition("no region of " + d.id + " kept " + d.version, "service");
  auto all = list(d.service, d.env, 200);
  if (!all) return std::unexpected(all.error());
  auto self = std::find_if(all->begin(), all->end(), [&](const Deployment& x) { return x.id == d.id; });
  const Deployment* prev = nullptr;
  for (auto it = self == all->end() ? all->end() : self + 1; it != all->end(); ++it) {
    if ((it->state == kSucceeded || (it->state == kRolledBack && it->kind == "rollback")) && it->version != d.version) {
      prev = &*it;
      break;
    }
  }
  if (!prev) {
    return failedPrecondition("no earlier successful release of " + d.service + " in " + d.env +
                              " to roll the regions that kept " + d.version + " back to");
  }
  DeployRequest req;
  req.service = d.service;
  req.env = d.env;
  req.version = prev->version;
  req.strategy = "bluegreen";
  req.configVersion = prev->configVersion;
  req.gitCommit = prev->gitCommit;
  req.gitDirty = prev->gitDirty;
  req.actor = actor;
  req.undo = true;
  req.queue = queue;
  for (const auto& w : d.waves) {
    const std::string region = w.value("region", "");
    if (std::find(kept.begin(), kept.end(), region) == kept.end()) continue;
    if (w.value("old_version", "") != prev->version) {
      return failedPrecondition(fmt::format("{} ran {} before {}, not {}; deploy the release it should run with "
                                            "--region {}",
                                            region, w.value("old_version", "nothing"), d.id, prev->version, region),
                                "service");
    }
    std::optional<RegionTarget> target;
    for (const auto& pw : prev->waves) {
      if (pw.value("region", "") == region) {
        target = RegionTarget{region, pw.value("rendered", json::object()), pw.value("config_digest", "")};
      }
    }
    if (!target && prev->region == region) target = RegionTarget{region, prev->rendered, prev->configDigest};
    if (!target) {
      return failedPrecondition(fmt::format("{} {} was never deployed to {} by {}; deploy it there with --region {}",
                                            d.service, prev->version, region, prev->id, region),
                                "service");
    }
    req.waves.push_back(std::move(*target));
  }
  auto r = submitLocked(req, "", "");
  if (!r) return r;
  r->kind = "rollback";
  r->rollsBack = d.id;
  if (auto st = commit(*r, "deployment.rollback", {{"rolls_back", d.id}, {"by", actor}, {"regions", kept}}); !st) {
    return std::unexpected(st.error());
  }
  return r;
}

Status Engine::startRollback(Deployment& d, const std::string& reason, json data) {
  d.reason = reason;
  d.endState = kRolledBack;
  d.state = kRunning;
  d.deadlineAt = 0;
  if (data.is_null()) data = json::object();
  data["rollback"] = reason;
  return enterPhase(d, Phase::kRbCapacity, std::move(data));
}

Result<bool> Engine::runRollbackPhase(Deployment& d, const ServicePlan& plan) {
  const auto key = keyOf(d);
  const int64_t now = toUnixMillis(clock_.now());

  if (d.phase == Phase::kRbCapacity) {
    // The stable fleet is about to take all traffic: it must be there and
    // healthy (a cold or shrunken stable fleet overloads on abort). Nothing
    // scales it here: the provider replaces failed instances by itself; the
    // engine waits for that, bounded by the health deadline, and records it.
    auto st = fleets_.fleetStatus(d.oldFleet);
    if (!st) return std::unexpected(st.error());
    bool ready = st->exists && st->desired > 0 && st->healthy >= st->desired;
    json data{{"fleet", d.oldFleet}, {"healthy", st->healthy}, {"desired", st->desired}};
    if (!ready && d.deadlineAt == 0) {
      d.deadlineAt = now + plan.healthDeadline.count();
      data["waiting_until"] = formatTime(fromUnixMillis(d.deadlineAt));
      if (auto c = commit(d, "rollback.capacity", data); !c) return std::unexpected(c.error());
      return false;
    }
    if (!ready && now < d.deadlineAt) return false;
    if (!ready) {
      d.reason += fmt::format(" (stable fleet {} only {}/{} healthy after {} ms)", d.oldFleet, st->healthy,
                              st->desired, plan.healthDeadline.count());
    }
    d.deadlineAt = 0;
    data["ready"] = ready;
    if (auto c = enterPhase(d, Phase::kRbSwitch, data); !c) return std::unexpected(c.error());
    return true;
  }

  if (d.phase == Phase::kRbSwitch) {
    // Scaling held while traffic moves back (released in rb_verify).
    if (auto st = holdScaling(d, plan, true); !st) return std::unexpected(st.error());
    auto tp = loadPlan(key);
    if (!tp) return std::unexpected(tp.error());
    tp->sendAllTo(d.oldFleet);
    if (auto st = savePlan(key, *tp, options_.owner, d.id); !st) return std::unexpected(st.error());
    if (auto st = reconcileTraffic(key); !st) return std::unexpected(st.error());
    if (auto st = enterPhase(d, Phase::kRbVerify, {{"weights", tp->weights}}); !st) {
      return std::unexpected(st.error());
    }
    return true;
  }
  if (d.phase == Phase::kRbVerify) {
    auto v = trafficVerified(key);
    if (!v) return std::unexpected(v.error());
    if (!*v) {
      if (auto st = reconcileTraffic(key); !st) return std::unexpected(st.error());
      return false;
    }
    if (auto st = setStableFleet(key, d.oldFleet, d.oldVersion); !st) return std::unexpected(st.error());
    if (auto st = holdScaling(d, plan, false); !st) return std::unexpected(st.error());
    d.state = d.endState.empty() ? kRolledBack : d.endState;
    d.finishedAt = now;
    d.deadlineAt = now + plan.drainTimeout.count();
    d.reason = fmt::format("{}; traffic verified back on {} ({})", d.reason, d.oldFleet, d.oldVersion);
    stopWaves(d, d.state, false);
    d.phase = Phase::kRbDrain;
    if (auto st = commit(d, "deployment.finished"); !st) return std::unexpected(st.error());
    return true;
  }
  if (d.phase == Phase::kRbDrain) {
    auto inflight = traffic_.inflight(key, d.newFleet);
    bool drained = inflight && *inflight == 0;
    if (!drained && now < d.deadlineAt) return false;
    auto tp = loadPlan(key);
    if (!tp) return std::unexpected(tp.error());
    tp->remove(d.newFleet);
    if (!d.baselineFleet.empty()) tp->remove(d.baselineFleet);
    if (auto st = savePlan(key, *tp, options_.owner, d.id); !st) return std::unexpected(st.error());
    if (auto st = reconcileTraffic(key); !st) return std::unexpected(st.error());
    if (auto st = enterPhase(d, Phase::kRbRetire, {{"fleet", d.newFleet}, {"drained", drained}}); !st) {
      return std::unexpected(st.error());
    }
    return true;
  }
  if (d.phase == Phase::kRbRetire) {
    if (auto st = fleets_.retireFleet(d.newFleet, plan.drainTimeout); !st) {
      return std::unexpected(st.error());
    }
    if (auto st = markFleet(d.newFleet, "retired"); !st) return std::unexpected(st.error());
    if (auto st = retireBaselineFleet(d, plan); !st) return std::unexpected(st.error());
    if (d.rollbackAllRegions && !keptRegions(d).empty()) {
      if (auto st = enterPhase(d, Phase::kRbRegions, {{"retired", d.newFleet}}); !st) return std::unexpected(st.error());
      return true;
    }
    if (auto st = enterPhase(d, Phase::kDone, {{"retired", d.newFleet}}); !st) return std::unexpected(st.error());
    return false;
  }
  if (d.phase == Phase::kRbRegions) {
    // rollback_all_regions: the regions that kept the release are rolled
    // back too, by a rollback deployment queued behind this one (found, not
    // repeated, after a restart).
    auto kept = keptRegions(d);
    auto all = list(d.service, d.env, 200);
    if (!all) return std::unexpected(all.error());
    std::string id;
    for (const auto& x : *all) {
      if (x.kind == "rollback" && x.rollsBack == d.id) id = x.id;
    }
    std::string regions;
    for (const auto& r : kept) regions += (regions.empty() ? "" : ", ") + r;
    if (id.empty()) {
      auto r = rollbackKeptRegions(d, options_.owner + " (rollback_all_regions)", true);
      if (r) {
        id = r->id;
      } else {
        d.reason += fmt::format("; could not roll back {} too: {}", regions, r.error().describe());
      }
    }
    if (!id.empty()) d.reason += fmt::format("; rolling back {} too ({})", regions, id);
    if (auto st = enterPhase(d, Phase::kDone, {{"rollback_all_regions", id}}); !st) return std::unexpected(st.error());
    return false;
  }
  return internal(fmt::format("phase {} is not a rollback phase", phaseName(d.phase)), d.id);
}

}  // namespace ramp::engine
