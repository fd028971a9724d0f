// DeploymentStore.h — the store's role for deployments and the fleets they
// make: the engine's state machine records.
//
// Records carry a `revision` (1 on insert, +1 on every update); an update
// names the revision it read and is refused with kConflict ("it is at
// revision 5, this update was based on revision 4") if someone else wrote in
// between. Writes that take a Fence are refused with kConflict unless the
// fence's lease is held at exactly its epoch (LeaseStore.h).
//  - insertDeployment: kConflict if the id exists; sets d.revision = 1.
//  - updateDeployment: by revision; kNotFound for an unknown id.
//  - Both take the audit events the change causes (a phase commit and its
//    deployment.phase event): appended to the chain in order, in the same
//    transaction as the record (AuditStore.h rules), so a crash never keeps
//    one without the other. An invalid event is kInvalid before anything
//    is written.
//  - listDeployments: newest first (created_at, then id), at most f.limit
//    (kInvalid unless positive); activeOnly = queued|running|paused|
//    awaiting_approval.
//  - putFleet: revision 0 inserts (kConflict if the id exists), else an
//    update by revision. listFleets: oldest first; retired ones only with
//    includeRetired.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/Result.h"
#include "store/AuditStore.h"
#include "store/Json.h"
#include "store/LeaseStore.h"

namespace ramp::store {

struct DeploymentRecord {
  std::string id;          // "dep-<...>"
  std::string service;
  std::string env;
  std::string state;       // queued|running|paused|awaiting_approval|succeeded|failed|rolled_back|aborted
  int64_t createdAt = 0;
  int64_t updatedAt = 0;
  int64_t revision = 0;    // set by the store: 1 on insert, +1 on every update
  Json doc = Json::object();  // the full state machine (strategy, steps, fleets, timers, verdicts)
};

struct DeploymentFilter {
  std::optional<std::string> service;
  std::optional<std::string> env;
  bool activeOnly = false;  // state in queued|running|paused|awaiting_approval
  int limit = 100;          // newest first
};

struct FleetRecord {
  std::string id;
  std::string service;
  std::string env;
  std::string region;
  std::string version;
  std::string digest;
  std::string state;       // creating|active|retiring|retired|failed
  int64_t createdAt = 0;
  int64_t updatedAt = 0;
  int64_t revision = 0;
  Json doc = Json::object();  // provider data (instances, pids, ports), role, weight
};

class DeploymentStore {
 public:
  virtual ~DeploymentStore() = default;
  virtual Status insertDeployment(DeploymentRecord& d, const std::optional<Fence>& fence,
                                  const std::vector<AuditEventInput>& events = {}) = 0;
  virtual Status updateDeployment(DeploymentRecord& d, const std::optional<Fence>& fence,
                                  const std::vector<AuditEventInput>& events = {}) = 0;
  virtual Result<DeploymentRecord> getDeployment(const std::string& id) = 0;
  virtual Result<std::vector<DeploymentRecord>> listDeployments(const DeploymentFilter& f) = 0;

  virtual Status putFleet(FleetRecord& f, const std::optional<Fence>& fence) = 0;
  virtual Result<FleetRecord> getFleet(const std::string& id) = 0;
  virtual Result<std::vector<FleetRecord>> listFleets(const std::optional<std::string>& service,
                                                      const std::optional<std::string>& env,
                                                      bool includeRetired) = 0;
};

}  // namespace ramp::store
