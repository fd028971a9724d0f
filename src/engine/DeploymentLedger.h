// DeploymentLedger.h — the engine's writes about deployments and their
// fleets, with their audit events: the one place a deployment record is
// written, so a phase and its event are one call (commit) that the store can
// make one transaction.
//
// Rules kept here:
//   - a phase change since the record was read must be a row of PhaseTable
//     (else kInternal, nothing written: a bug, never a silent jump);
//   - the record is written with the revision it was read at (the store
//     refuses a stale one with kConflict: someone else moved it meanwhile —
//     the caller re-reads; equivalent to a crash before the write, which
//     every phase survives) and with the controller's fence;
//   - RAMP_FAILPOINT=PHASE:after fires here, on the thread running that
//     deployment's phase (Running), before the move out of PHASE is written.
//
// Held deployments: the ledger keeps, for the engine's term (one ledger per
// Engine, one Engine per leadership term, writes fenced), a parsed copy of
// every active deployment it wrote or read, so a look (a bake judged every
// second, 1,000 of them) reads no record from the store. A copy is the
// record as written (rebuilt from it, never the caller's working object),
// installed only over an older revision, dropped when a write of it fails
// (committed or not: the store says at the next read) and when it is done.
// A stale copy can cost a write, never make one: every write names the
// revision it read, and a refused write drops the copy (the caller reads
// again). held() is what the engine's looks use; get() serves it too.
//
// Thread-safety: thread-safe (the held copies under a mutex; the store is
// thread-safe).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/Clock.h"
#include "core/Result.h"
#include "engine/Deployment.h"
#include "engine/ReleaseCatalog.h"
#include "store/Store.h"

namespace ramp::engine {

class DeploymentLedger {
 public:
  DeploymentLedger(store::Store& store, Clock& clock, std::string owner, std::optional<store::Fence> fence);

  // Marks the calling thread as running deployment `id`'s current phase
  // (for the PHASE:after failpoint) for the guard's lifetime.
  class Running {
   public:
    explicit Running(const std::string& id);
    ~Running();
    Running(const Running&) = delete;
    Running& operator=(const Running&) = delete;
  };

  // A new record in one of PhaseTable::initialPhases() and its event
  // deployment.created (with `created`), then the events `then` (kind,
  // data; also by `actor`), in one store call. Every event written here
  // carries the alert it causes (AlertRule.h), so the store writes the
  // alert to its outbox in the event's transaction.
  Status insert(Deployment& d, nlohmann::json created, const std::string& actor,
                std::vector<std::pair<std::string, nlohmann::json>> then = {});
  // Writes the record and, with an event kind, its audit event (data gets
  // state, phase, step and reason), then the events `then` (kind, data) in
  // order, all in one transaction. `actor`: who the main event names ("" =
  // the owner; the person for what a person asked: controls, rollbacks).
  Status commit(Deployment& d, const std::string& eventKind, nlohmann::json data = nlohmann::json::object(),
                std::vector<std::pair<std::string, nlohmann::json>> then = {}, const std::string& actor = {});
  // One audit event about `d` (version and digests added); actor "" = the
  // owner. For what is observed only: an event that tells of a write goes
  // with it (insert, commit), so that neither is ever kept without the other.
  Status audit(const std::string& kind, const Deployment& d, nlohmann::json data, const std::string& actor = {});
  // An audit event about an entry point (traffic.set), for the store to
  // append with the write it tells of (TrafficStore::putTrafficPlan).
  store::AuditEventInput entrypointEvent(const std::string& kind, const std::string& service, const std::string& env,
                                         const std::string& deploymentId, nlohmann::json data,
                                         const std::string& actor) const;
  // A record the engine cannot read (an unknown phase, a field of the wrong
  // type) ends phase done — state failed unless it had ended — with the
  // reading error as its reason and a deployment.finished event, rather than
  // staying active and failing every tick. Its fleets are left as they are.
  Status failUnreadable(const store::DeploymentRecord& rec, const Error& why);

  // The held copy, else the store's record (then held while active).
  Result<Deployment> get(const std::string& id);
  // The held copy only; nullopt when none.
  std::optional<Deployment> held(const std::string& id);
  // Holds a copy of `rec` read from the store (when active and newer).
  void hold(const Deployment& d);
  Result<std::vector<Deployment>> list(const std::optional<std::string>& service,
                                       const std::optional<std::string>& env, int limit);

  // Fleet records: `release` = the fleet's release when it is not the
  // deployment's own (a fresh baseline fleet runs the stable release).
  Status recordFleet(const Deployment& d, const std::string& fleetId, const std::string& state,
                     const ReleaseRef* release = nullptr);
  Status markFleet(const std::string& fleetId, const std::string& state);

  // Called after every record written by anyone but the thread running
  // that deployment's phase (a person's control, approval or rollback, a
  // submit, a deployment writing another): the engine makes its
  // service+env due at once (NextLook.h). Set once, before the ledger is
  // shared.
  void onOutsideWrite(std::function<void(const Deployment&)> f) { outsideWrite_ = std::move(f); }

  const std::string& owner() const { return owner_; }
  const std::optional<store::Fence>& fence() const { return fence_; }
  store::Store& store() { return store_; }

 private:
  // An event about `d` (version and digests added, the alert it causes).
  store::AuditEventInput eventOf(const std::string& kind, const Deployment& d, nlohmann::json data,
                                 const std::string& actor = {}) const;

  store::Store& store_;
  Clock& clock_;
  const std::string owner_;
  const std::optional<store::Fence> fence_;
  std::function<void(const Deployment&)> outsideWrite_;
  // After a write of `rec`: its copy held (or dropped: written == false, or done).
  void noteWrite(const store::DeploymentRecord& rec, bool written);

  std::mutex heldMu_;
  std::map<std::string, Deployment> held_;  // active deployments, by id (guarded by heldMu_)
};

}  // namespace ramp::engine
