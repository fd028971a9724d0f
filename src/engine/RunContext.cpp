#include "engine/RunContext.h"

#include <algorithm>

namespace ramp::engine {

using nlohmann::json;

RunContext::RunContext(Deployment& deployment, const ServicePlan& servicePlan, EngineParts& engineParts)
    : d(deployment), plan(servicePlan), parts(engineParts), now(toUnixMillis(engineParts.clock.now())) {}

Status RunContext::audit(const std::string& kind, json data) { return parts.ledger.audit(kind, d, std::move(data)); }

Status RunContext::save(const std::string& eventKind, json data) {
  if (d.phase != d.recordedPhase) return internal("save() does not change phases; return a Transition", d.id);
  return parts.ledger.commit(d, eventKind, std::move(data));
}

Result<TrafficPlan> RunContext::editTraffic(const std::function<void(TrafficPlan&)>& edit) {
  const auto k = key();
  auto tp = parts.entrypoints.plan(k);
  if (!tp) return std::unexpected(tp.error());
  edit(*tp);
  if (auto st = parts.entrypoints.savePlan(k, *tp, owner(), d.id); !st) return std::unexpected(st.error());
  if (auto st = parts.entrypoints.reconcile(k); !st) return std::unexpected(st.error());
  return tp;
}

Result<bool> RunContext::weightsApplied() {
  auto v = parts.entrypoints.verified(key());
  if (!v) return std::unexpected(v.error());
  if (!*v) {
    if (auto st = parts.entrypoints.reconcile(key()); !st) return std::unexpected(st.error());
    return false;
  }
  return true;
}

Result<bool> RunContext::confirmSwitch(const std::string& fleet, const std::string& version) {
  auto applied = weightsApplied();
  if (!applied || !*applied) return applied;
  if (auto st = parts.entrypoints.setStableFleet(key(), fleet, version); !st) return std::unexpected(st.error());
  if (auto st = holdScaling(false); !st) return std::unexpected(st.error());
  return true;
}

Status RunContext::holdScaling(bool hold) {
  if (!plan.scaling) return ok();
  for (const std::string* fleet : {&d.newFleet, &d.oldFleet, &d.baselineFleet}) {
    if (fleet->empty()) continue;
    if (auto st = parts.fleets.holdScaling(*fleet, hold); !st) return st;
  }
  return ok();
}

Result<providers::FleetSpec> RunContext::fleetSpec() {
  providers::FleetSpec spec;
  spec.fleetId = d.newFleet;
  spec.deploymentId = d.id;
  spec.service = d.service;
  spec.env = d.env;
  spec.region = d.region;
  spec.releaseVersion = d.version;
  spec.releaseDigest = d.digest;
  spec.releasePath = d.releasePath;
  spec.instanceType = plan.instanceType;
  spec.instances = plan.instances;
  if (plan.scaling) {
    // An autoscaled fleet starts at the capacity the current fleet has now
    // (clamped to min..max), not at the configured first size.
    spec.scaling = plan.scaling;
    if (!d.oldFleet.empty()) {
      auto cur = parts.fleets.fleetStatus(d.oldFleet);
      if (!cur) return std::unexpected(cur.error());
      if (cur->exists && cur->desired > 0) {
        spec.instances = std::clamp(cur->desired, plan.scaling->min, plan.scaling->max);
      }
    }
  }
  spec.run = plan.run;
  spec.health = plan.health;
  spec.epoch = parts.ledger.fence() ? parts.ledger.fence()->epoch : 0;
  return spec;
}

Result<bool> RunContext::createBaselineFleet() {
  if (d.baselineFleet.empty()) return true;
  // A store that cannot answer says nothing about the release: retried.
  auto release = parts.releases.find(d.service, d.oldVersion);
  if (!release && release.error().code == ErrorCode::kUnavailable) return std::unexpected(release.error());
  if (!release) {
    d.reason = "the fresh baseline needs the stable release " + d.oldVersion + ": " + release.error().describe();
    return false;
  }
  if (auto v = parts.releases.verify(*release); !v) {
    if (v.error().code == ErrorCode::kUnavailable) return std::unexpected(v.error());
    d.reason = "the fresh baseline's release " + d.oldVersion + ": " + v.error().describe();
    return false;
  }
  auto spec = fleetSpec();
  if (!spec) return std::unexpected(spec.error());
  spec->fleetId = d.baselineFleet;
  spec->releaseVersion = release->version;
  spec->releaseDigest = release->digest;
  spec->releasePath = release->path;
  if (auto st = parts.ledger.recordFleet(d, d.baselineFleet, "creating", &*release); !st) {
    return std::unexpected(st.error());
  }
  if (auto st = parts.fleets.createFleet(*spec); !st) {
    d.reason = "could not create the baseline fleet " + d.baselineFleet + ": " + st.error().describe();
    return false;
  }
  return true;
}

Status RunContext::retireBaselineFleet() {
  if (d.baselineFleet.empty()) return ok();
  auto tp = parts.entrypoints.plan(key());
  if (!tp) return std::unexpected(tp.error());
  if (tp->weights.contains(d.baselineFleet)) {
    auto edited = editTraffic([&](TrafficPlan& p) { p.remove(d.baselineFleet); });
    if (!edited) return std::unexpected(edited.error());
  }
  auto fr = parts.ledger.store().getFleet(d.baselineFleet);
  if (fr && fr->state == "retired") return ok();
  if (auto st = parts.fleets.retireFleet(d.baselineFleet, plan.drainTimeout); !st) return st;
  if (auto st = parts.ledger.markFleet(d.baselineFleet, "retired"); !st) return st;
  return audit("fleet.retired", {{"fleet", d.baselineFleet}, {"role", "baseline"}});
}

std::optional<std::string> RunContext::firingAlarm(bool force, bool& unknown) {
  auto look = parts.alarms.look(d.id, key(), plan.alarms, force);
  unknown = look.unknown;
  if (look.newError) {
    (void)audit("alarm.unknown", {{"reason", look.error}, {"alarms", plan.alarms}, {"phase", d.phase}});
  }
  return look.firing;
}

Transition RunContext::startRollback(const std::string& reason, json data) {
  d.reason = reason;
  d.endState = kRolledBack;
  d.state = kRunning;
  d.deadlineAt = 0;
  if (data.is_null()) data = json::object();
  data["rollback"] = reason;
  return Transition::move(Phase::kRbCapacity, std::move(data));
}

}  // namespace ramp::engine
