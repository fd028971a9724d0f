// Controls.cpp — what people do to deployments in progress: pause,
// resume, promote-now, abort (control), rollback, and `ramp down`
// (retireAll). Target phases come from PhaseTable's action rows.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "engine/Engine.h"
#include "engine/WavePhases.h"

namespace ramp::engine {

using nlohmann::json;

Result<Deployment> Engine::control(const std::string& service, const std::string& env,
                                   const std::string& action, const std::string& actor, const std::string& comment) {
  // A phase may commit between our read and our write: the store refuses
  // ours as stale (nothing written) and the person's call is decided again
  // on the record as it now is — a person never sees a phase's race.
  for (int attempt = 0;; ++attempt) {
    bool stale = false;
    auto r = controlOnce(service, env, action, actor, comment, stale);
    if (r || !stale || attempt >= kStaleRetries) return r;
  }
}

Result<Deployment> Engine::controlOnce(const std::string& service, const std::string& env,
                                       const std::string& action, const std::string& actor, const std::string& comment,
                                       bool& stale) {
  // A refused write of the record read here: stale when someone moved it.
  auto committed = [&](Deployment& d, const std::string& kind, json data) -> Status {
    auto st = ledger_.commit(d, kind, std::move(data), {}, actor);  // the person, not the controller
    if (!st && st.error().code == ErrorCode::kConflict) {
      auto now = ledger_.get(d.id);
      stale = now && now->revision != d.revision;
    }
    return st;
  };
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
  if (!comment.empty()) data["comment"] = comment;
  const std::string why = comment.empty() ? "" : ": " + comment;
  const uint32_t facts = factsOf(*d);
  if (isGate(d->phase)) {
    // Not started yet: only abort applies; nothing ran, nothing to undo.
    auto to = action == "abort" ? PhaseTable::target(d->phase, Trigger::kAbort, facts) : std::nullopt;
    if (!to) {
      return failedPrecondition(fmt::format("{} has not started ({} in phase {}); only abort applies", d->id,
                                            d->state, phaseName(d->phase)));
    }
    d->state = kAborted;
    d->reason = "aborted by " + actor + " before it started" + why;
    d->phase = *to;
    d->finishedAt = toUnixMillis(clock_.now());
    if (auto st = committed(*d, "deployment.control", data); !st) return std::unexpected(st.error());
    if (auto st = ledger_.commit(*d, "deployment.finished"); !st) return std::unexpected(st.error());
    return *d;
  }
  if (action == "pause") {
    if (d->state == kPaused) return *d;
    d->state = kPaused;
    d->reason = "paused by " + actor + why;
  } else if (action == "resume") {
    if (d->state != kPaused) return failedPrecondition(d->id + " is " + d->state + ", not paused");
    d->state = kRunning;
    d->reason = "resumed by " + actor + why;
  } else if (action == "promote-now") {
    auto to = PhaseTable::target(d->phase, Trigger::kPromoteNow, facts);
    if (!to) {
      return failedPrecondition(fmt::format("{} is in phase {}; promote-now skips the remaining canary steps once the "
                                            "canary is healthy",
                                            d->id, phaseName(d->phase)));
    }
    d->state = kRunning;
    d->reason = "promoted now by " + actor + ", skipping the remaining steps" + why;
    d->phase = *to;
  } else if (action == "abort") {
    auto to = PhaseTable::target(d->phase, Trigger::kAbort, facts);
    if (!to) return failedPrecondition(fmt::format("{} is in phase {}; abort does not apply", d->id, phaseName(d->phase)));
    d->endState = kAborted;
    if (*to == d->phase) {
      // Waves: this region has committed to the new release (its previous
      // fleet is being retired); the waves stop once it is done (WavePhases.cpp).
      d->reason = fmt::format("aborted by {} (the waves stop once {} has retired its previous fleet){}", actor,
                              d->region, why);
    } else {
      // Where traffic may have moved and the previous fleet is warm (a
      // paused bake, the bake of a region that is not the last): back to it;
      // else the new fleet is cleaned up.
      d->reason = "aborted by " + actor + why;
      d->state = kRunning;
      d->phase = *to;
    }
  } else {
    return invalid("unknown action '" + action + "' (pause, resume, promote-now, abort)", "action");
  }
  if (auto st = committed(*d, "deployment.control", data); !st) return std::unexpected(st.error());
  return *d;
}

Result<Deployment> Engine::rollback(const std::string& service, const std::string& env,
                                    const std::string& actor, const std::string& comment) {
  std::lock_guard lock(keyLock(service, env));
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
  if ((d.state == kRolledBack || d.state == kFailed || d.state == kAborted) && !WavePhases::keptRegions(d).empty()) {
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
    d.reason = "rollback requested by " + actor + (comment.empty() ? "" : ": " + comment);
    d.phase = *to;
    json data{{"to_fleet", d.oldFleet}, {"by", actor}};
    if (!comment.empty()) data["comment"] = comment;
    if (auto st = ledger_.commit(d, "deployment.rollback", data, {}, actor); !st) {
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
  req.gitCommit = prev->gitCommit;
  req.gitDirty = prev->gitDirty;
  req.configVersion = prev->configVersion;
  req.actor = actor;
  // A release deployed across regions is redeployed across the same regions.
  for (const auto& w : prev->waves) {
    req.waves.push_back({w.region, w.rendered, w.configDigest});
  }
  if (!req.waves.empty()) req.region.clear();
  req.undo = true;  // undoing is never held at a gate
  auto r = submitLocked(req, "", "");
  if (!r) return r;
  r->kind = "rollback";
  r->rollsBack = d.id;
  json data{{"rolls_back", d.id}, {"by", actor}};
  if (!comment.empty()) {
    data["comment"] = comment;
    r->reason = "rollback of " + d.id + " requested by " + actor + ": " + comment;
  }
  if (auto st = ledger_.commit(*r, "deployment.rollback", data, {}, actor); !st) {
    return std::unexpected(st.error());
  }
  return r;
}

Result<Deployment> Engine::rollbackKeptRegions(const Deployment& d, const std::string& actor, bool queue) {
  auto kept = WavePhases::keptRegions(d);
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
  req.gitCommit = prev->gitCommit;
  req.gitDirty = prev->gitDirty;
  req.configVersion = prev->configVersion;
  req.actor = actor;
  req.undo = true;
  req.queue = queue;
  for (const auto& w : d.waves) {
    const std::string region = w.region;
    if (std::find(kept.begin(), kept.end(), region) == kept.end()) continue;
    if (w.oldVersion != prev->version) {
      return failedPrecondition(fmt::format("{} ran {} before {}, not {}; deploy the release it should run with "
                                            "--region {}",
                                            region, w.oldVersion.empty() ? "nothing" : w.oldVersion, d.id, prev->version, region),
                                "service");
    }
    std::optional<RegionTarget> target;
    for (const auto& pw : prev->waves) {
      if (pw.region == region) {
        target = RegionTarget{region, pw.rendered, pw.configDigest};
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
  if (auto st = ledger_.commit(*r, "deployment.rollback", {{"rolls_back", d.id}, {"by", actor}, {"regions", kept}}, {}, actor);
      !st) {
    return std::unexpected(st.error());
  }
  return r;
}

Result<Engine::DownReport> Engine::retireAll(const std::optional<std::string>& env, const std::string& actor,
                                             std::vector<std::string>* skipped) {
  DownReport report;
  std::set<std::string> refused;  // "service/env" left alone, said once each
  auto mayAct = [&](const std::string& service, const std::string& environment) {
    if (!options_.mayActOn) return true;
    auto m = options_.mayActOn(service, environment);
    if (m) return true;
    if (refused.insert(service + "/" + environment).second && skipped) skipped->push_back(m.error().message);
    return false;
  };
  store::DeploymentFilter f;
  f.env = env;
  f.limit = 1000;
  auto recs = store_.listDeployments(f);
  if (!recs) return std::unexpected(recs.error());
  std::set<std::string> busy;  // strands that were running these deployments
  for (auto& r : *recs) {
    auto d = Deployment::fromRecord(r.id, r.service, r.env, r.state, r.revision, r.doc);
    if (!d || !d->active()) continue;
    if (!mayAct(d->service, d->env)) continue;
    // A job may be committing its phase meanwhile: the store refuses the
    // stale one of us (kConflict), read again and end it.
    for (int attempt = 0;; ++attempt) {
      if (!isTerminalState(d->state)) {
        d->state = kAborted;
        d->reason = "aborted by `ramp down` (" + actor + ")";
        d->finishedAt = toUnixMillis(clock_.now());
        WavePhases::stopWaves(*d, kAborted, false, toUnixMillis(clock_.now()));
      }
      d->phase = Phase::kDone;
      auto st = ledger_.commit(*d, "deployment.finished");
      if (st) break;
      if (st.error().code != ErrorCode::kConflict || attempt >= 5) return std::unexpected(st.error());
      d = ledger_.get(r.id);
      if (!d) return std::unexpected(d.error());
      if (!d->active()) break;
    }
    busy.insert(strandOf(d->service, d->env));
  }
  // Their jobs end (they find them done); no fleet is created after this.
  for (const auto& key : busy) strands_.waitIdle(key);
  // The entry points first, and their strands idle: a sweep of the worker
  // pool would otherwise put a fleet back into its rule (aws: the service's
  // listener rule) between its detach and its deletion (`ramp down --env`
  // runs beside the engine; a whole `ramp down` stops it first).
  std::set<std::string> settled;
  for (auto& key : entrypoints()) {
    if (env && key.env != *env) continue;
    if (!mayAct(key.service, key.env)) continue;
    if (auto st = entrypoints_.forget(key); !st) return std::unexpected(st.error());
    settled.insert(strandOf(key.service, key.env));
  }
  for (const auto& key : settled) strands_.waitIdle(key);
  // Every fleet is tried: one that cannot be retired (e.g. its region does
  // not answer) is reported and never stops the others.
  std::set<std::string> tried;
  auto fleetRecs = store_.listFleets(std::nullopt, env, false);
  if (!fleetRecs) return std::unexpected(fleetRecs.error());
  for (auto& fr : *fleetRecs) {
    if (!mayAct(fr.service, fr.env)) continue;  // never marked retired while another site runs it
    tried.insert(fr.id);
    if (auto st = parts_.fleets.retireFleet(fr.id, std::chrono::milliseconds(2000)); !st) {
      report.problems.push_back("fleet " + fr.id + " (" + fr.env + "/" + fr.region + "): " + st.error().describe());
      continue;
    }
    if (auto st = ledger_.markFleet(fr.id, "retired"); !st) return std::unexpected(st.error());
    ++report.retired;
  }
  // Fleets the provider runs that the store does not know (should not
  // happen; retire them too so nothing is left behind).
  auto running = parts_.fleets.listFleets(std::nullopt, env);
  if (running) {
    for (auto& id : *running) {
      if (tried.contains(id)) continue;
      if (auto st = parts_.fleets.retireFleet(id, std::chrono::milliseconds(2000)); !st) {
        report.problems.push_back("fleet " + id + ": " + st.error().describe());
        continue;
      }
      ++report.retired;
    }
  } else {
    report.problems.push_back("listing the providers' fleets: " + running.error().describe());
  }
  return report;
}

}  // namespace ramp::engine
