#include "engine/DeploymentLedger.h"

#include <algorithm>

#include <fmt/format.h>

#include "engine/AlertRule.h"
#include "engine/Failpoint.h"
#include "engine/PhaseTable.h"

namespace ramp::engine {

using nlohmann::json;

namespace {

// The deployment whose phase this thread is running (Running), for the
// PHASE:after failpoint.
thread_local std::string tlRunningId;

// The store's record of `d` as it is now (an insert's revision is the
// store's to set; an update names the revision it read).
store::DeploymentRecord recordOf(const Deployment& d) {
  store::DeploymentRecord rec;
  rec.id = d.id;
  rec.service = d.service;
  rec.env = d.env;
  rec.state = d.state;
  rec.createdAt = d.createdAt;
  rec.updatedAt = d.updatedAt;
  rec.revision = d.revision;
  rec.doc = d.toDoc();
  return rec;
}

}  // namespace

DeploymentLedger::Running::Running(const std::string& id) { tlRunningId = id; }
DeploymentLedger::Running::~Running() { tlRunningId.clear(); }

DeploymentLedger::DeploymentLedger(store::Store& store, Clock& clock, std::string owner,
                                   std::optional<store::Fence> fence)
    : store_(store), clock_(clock), owner_(std::move(owner)), fence_(std::move(fence)) {}

store::AuditEventInput DeploymentLedger::eventOf(const std::string& kind, const Deployment& d, json data,
                                                 const std::string& actor) const {
  if (data.is_null()) data = json::object();
  data["version"] = d.version;
  data["digest"] = d.digest;
  data["config_digest"] = d.configDigest;
  store::AuditEventInput e;
  e.time = toUnixMillis(clock_.now());
  e.actor = actor.empty() ? owner_ : actor;
  e.kind = kind;
  e.service = d.service;
  e.env = d.env;
  e.deploymentId = d.id;
  // The alert it causes goes into the store's outbox with it (AlertRule.h).
  e.alert = AlertRule::of(kind, data, d.rendered);
  e.data = std::move(data);
  return e;
}

Status DeploymentLedger::audit(const std::string& kind, const Deployment& d, json data, const std::string& actor) {
  auto r = store_.appendEvent(eventOf(kind, d, std::move(data), actor));
  if (!r) return std::unexpected(r.error());
  return ok();
}

store::AuditEventInput DeploymentLedger::entrypointEvent(const std::string& kind, const std::string& service,
                                                        const std::string& env, const std::string& deploymentId,
                                                        json data, const std::string& actor) const {
  store::AuditEventInput e;
  e.time = toUnixMillis(clock_.now());
  e.actor = actor.empty() ? owner_ : actor;
  e.kind = kind;
  e.service = service;
  e.env = env;
  e.deploymentId = deploymentId;
  e.data = data.is_null() ? json::object() : std::move(data);
  return e;
}

Status DeploymentLedger::insert(Deployment& d, json created, const std::string& actor,
                                std::vector<std::pair<std::string, json>> then) {
  const auto& initial = PhaseTable::initialPhases();
  if (std::find(initial.begin(), initial.end(), d.phase) == initial.end()) {
    return internal(fmt::format("a deployment cannot begin in phase {}", phaseName(d.phase)), d.id);
  }
  store::DeploymentRecord rec = recordOf(d);
  // The record and its events (with the alerts they cause) in one transaction.
  std::vector<store::AuditEventInput> events{eventOf("deployment.created", d, std::move(created), actor)};
  for (auto& [kind, extra] : then) events.push_back(eventOf(kind, d, std::move(extra), actor));
  auto st = store_.insertDeployment(rec, fence_, events);
  noteWrite(rec, st.has_value());
  if (!st) return st;
  d.revision = rec.revision;
  d.recordedPhase = d.phase;
  if (outsideWrite_) outsideWrite_(d);
  return ok();
}

Status DeploymentLedger::commit(Deployment& d, const std::string& eventKind, json data,
                                std::vector<std::pair<std::string, json>> then, const std::string& actor) {
  if (d.phase != d.recordedPhase) {
    if (auto allowed = PhaseTable::check(d.recordedPhase, d.phase, d.id); !allowed) return allowed;
    // Leaving the phase being run: its side effect is done, the move is not
    // yet written (RAMP_FAILPOINT=PHASE:after).
    if (d.id == tlRunningId) failpoint(phaseName(d.recordedPhase), "after");
  }
  failpointSideEffect("commit");
  d.updatedAt = toUnixMillis(clock_.now());
  store::DeploymentRecord rec = recordOf(d);
  // The record, its event and the alert the event causes in one
  // transaction: a crash keeps all three or none (issue 16).
  std::vector<store::AuditEventInput> events;
  if (!eventKind.empty()) {
    if (data.is_null()) data = json::object();
    data["state"] = d.state;
    data["phase"] = d.phase;
    data["step"] = d.step;
    if (!d.reason.empty()) data["reason"] = d.reason;
    events.push_back(eventOf(eventKind, d, std::move(data), actor));
  }
  for (auto& [kind, extra] : then) events.push_back(eventOf(kind, d, std::move(extra)));
  auto st = store_.updateDeployment(rec, fence_, events);
  noteWrite(rec, st.has_value());
  if (!st) return st;
  d.revision = rec.revision;
  d.recordedPhase = d.phase;
  if (outsideWrite_ && d.id != tlRunningId) outsideWrite_(d);
  failpointSideEffect("committed");
  return ok();
}

Status DeploymentLedger::failUnreadable(const store::DeploymentRecord& rec, const Error& why) {
  store::DeploymentRecord r = rec;
  if (!r.doc.is_object()) r.doc = json::object();
  const int64_t now = toUnixMillis(clock_.now());
  if (!isTerminalState(r.state)) r.state = kFailed;
  std::string reason = "the engine cannot read this deployment's record (" + why.message +
                       "); it was stopped where it was, its fleets and traffic left as they are";
  std::string before = r.doc.value("reason", json()).is_string() ? r.doc["reason"].get<std::string>() : "";
  r.doc["reason"] = before.empty() ? reason : before + "; " + reason;
  r.doc["phase"] = phaseName(Phase::kDone);
  r.doc["finished_at"] = now;
  r.updatedAt = now;
  store::AuditEventInput e;
  e.time = now;
  e.actor = owner_;
  e.kind = "deployment.finished";
  e.service = r.service;
  e.env = r.env;
  e.deploymentId = r.id;
  e.data = {{"state", r.state}, {"phase", phaseName(Phase::kDone)}, {"reason", r.doc["reason"]}};
  e.alert = AlertRule::of(e.kind, e.data, r.doc.value("rendered", json::object()));
  auto st = store_.updateDeployment(r, fence_, {e});
  noteWrite(r, false);  // it cannot be read as a Deployment: never held
  return st;
}

void DeploymentLedger::noteWrite(const store::DeploymentRecord& rec, bool written) {
  std::optional<Deployment> copy;
  if (written) {
    if (auto d = Deployment::fromRecord(rec.id, rec.service, rec.env, rec.state, rec.revision, rec.doc)) {
      copy = std::move(*d);
    }
  }
  std::lock_guard lock(heldMu_);
  if (!copy || !copy->active()) {
    held_.erase(rec.id);
    return;
  }
  auto it = held_.find(rec.id);
  if (it == held_.end()) {
    held_.emplace(rec.id, std::move(*copy));
  } else if (it->second.revision < copy->revision) {  // a later write may have been held first
    it->second = std::move(*copy);
  }
}

std::optional<Deployment> DeploymentLedger::held(const std::string& id) {
  std::lock_guard lock(heldMu_);
  auto it = held_.find(id);
  if (it == held_.end()) return std::nullopt;
  return it->second;
}

void DeploymentLedger::hold(const Deployment& d) {
  if (!d.active()) return;
  std::lock_guard lock(heldMu_);
  auto it = held_.find(d.id);
  if (it == held_.end()) {
    held_.emplace(d.id, d);
  } else if (it->second.revision < d.revision) {
    it->second = d;
  }
}

Result<Deployment> DeploymentLedger::get(const std::string& id) {
  if (auto h = held(id)) return std::move(*h);
  auto rec = store_.getDeployment(id);
  if (!rec) return std::unexpected(rec.error());
  auto d = Deployment::fromRecord(rec->id, rec->service, rec->env, rec->state, rec->revision, rec->doc);
  if (d) hold(*d);
  return d;
}

Result<std::vector<Deployment>> DeploymentLedger::list(const std::optional<std::string>& service,
                                                       const std::optional<std::string>& env, int limit) {
  store::DeploymentFilter f;
  f.service = service;
  f.env = env;
  f.limit = limit;
  auto recs = store_.listDeployments(f);
  if (!recs) return std::unexpected(recs.error());
  std::vector<Deployment> out;
  for (auto& r : *recs) {
    auto d = Deployment::fromRecord(r.id, r.service, r.env, r.state, r.revision, r.doc);
    if (!d) return std::unexpected(d.error());
    out.push_back(std::move(*d));
  }
  return out;
}

Status DeploymentLedger::recordFleet(const Deployment& d, const std::string& fleetId, const std::string& state,
                                     const ReleaseRef* release) {
  auto existing = store_.getFleet(fleetId);
  store::FleetRecord f;
  if (existing) {
    f = *existing;
    if (f.state == state) return ok();
  } else {
    f.id = fleetId;
    f.service = d.service;
    f.env = d.env;
    f.region = d.region;
    f.version = release ? release->version : d.version;
    f.digest = release ? release->digest : d.digest;
    f.createdAt = toUnixMillis(clock_.now());
    f.doc = {{"deployment", d.id}};
    if (release) f.doc["role"] = "baseline";
  }
  f.state = state;
  f.updatedAt = toUnixMillis(clock_.now());
  failpointSideEffect("fleet record");
  return store_.putFleet(f, fence_);
}

Status DeploymentLedger::markFleet(const std::string& fleetId, const std::string& state) {
  auto existing = store_.getFleet(fleetId);
  if (!existing) return ok();
  auto f = *existing;
  if (f.state == state) return ok();
  f.state = state;
  f.updatedAt = toUnixMillis(clock_.now());
  return store_.putFleet(f, fence_);
}

}  // namespace ramp::engine
