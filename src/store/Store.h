// Store.h — the durable state of a ramp world, behind one interface.
//
// Two implementations must behave identically and pass one conformance suite
// (tests/store): SqliteStore (embedded default, one WAL file in the home) and
// PostgresStore (shared, for highly available controllers). Both apply the
// versioned migrations in store/Migrations.* on open.
//
// Contract for every implementation:
//  - Every method is atomic: it either commits fully or changes nothing.
//  - Writes that take a Fence are refused with kConflict (message naming the
//    lease and both epochs) unless the named lease is currently held at
//    exactly that epoch. This is how a deposed leader is stopped from acting.
//  - Records carry a `revision`; updates name the revision they read and are
//    refused with kConflict if someone else wrote in between.
//  - Audit events form a hash chain: appendEvent assigns `seq` (1, 2, ...),
//    `prevHash` (hash of seq-1, or 64 zeros) and `hash` =
//    AuditChain::hashOf(event) inside the same transaction, so two concurrent
//    appenders never fork the chain.
//  - Thread-safe: one Store object may be used from many threads.
//  - Times are Unix milliseconds (toUnixMillis).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/Result.h"
#include "store/ConfigVersionStore.h"

namespace ramp::store {

using Json = nlohmann::json;

struct Fence {
  std::string lease;  // lease name, e.g. "controller"
  int64_t epoch = 0;
};

struct ReleaseRecord {
  std::string service;
  std::string version;
  std::string digest;      // "sha256:<hex>"
  std::string createdBy;
  int64_t createdAt = 0;
  Json doc = Json::object();  // where the bundle lives, size, file count, build info
};

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

struct Lease {
  std::string name;
  std::string owner;
  int64_t epoch = 0;       // strictly increases every time the holder changes
  int64_t expiresAt = 0;   // Unix ms
};

struct AuditEventInput {
  int64_t time = 0;
  std::string actor;       // user name, or "ramp" for the controller itself
  std::string kind;        // e.g. "deployment.step", "traffic.set", "verdict"
  std::string service;     // may be empty
  std::string env;         // may be empty
  std::string deploymentId;  // may be empty
  Json data = Json::object();
};

struct AuditEvent : AuditEventInput {
  int64_t seq = 0;
  std::string prevHash;
  std::string hash;
};

// A person or a script that may call the API. `roles` maps an environment
// name, or "*" for every environment, to role names
// (viewer|deployer|approver|hotfix|admin), e.g. {"*": ["viewer"], "prod": ["approver"]}.
struct UserRecord {
  std::string name;
  Json roles = Json::object();
  int64_t createdAt = 0;
  std::string createdBy;
  bool disabled = false;
};

// An API token. Only its sha256 (hex of the plain token) is stored; the
// plain token is shown once, when it is created.
struct TokenRecord {
  std::string id;          // "tok-<hex>"
  std::string user;
  std::string name;        // what it is for ("ci", "laptop"), may be empty
  std::string sha256;      // lower-case hex of sha256(plain token), unique
  int64_t createdAt = 0;
  std::optional<int64_t> expiresAt;  // refused from then on
  std::optional<int64_t> revokedAt;  // refused from then on
  std::optional<int64_t> lastUsedAt; // the last authenticated request, to the minute (Identity)
};

struct AuditFilter {
  std::optional<std::string> service;
  std::optional<std::string> env;
  std::optional<std::string> deploymentId;
  std::optional<int64_t> sinceTime;
  std::optional<int64_t> afterSeq;
  int limit = 1000;        // oldest first
};

// Infrastructure state of one project × environment × region ("" = the
// global resources, e.g. Route 53 records). The store keeps `resources` as
// an opaque JSON document (the infra layer converts); `lineage` is fixed by
// the first write, `serial` grows by one with every write.
struct InfraStateRecord {
  std::string project;
  std::string env;
  std::string region;
  std::string lineage;
  int64_t serial = 0;
  Json resources = Json::object();
  int64_t updatedAt = 0;
};

// One intended change of an infrastructure apply, written before its API
// call ("intent") and marked "done" or "failed" after it.
struct InfraJournalRecord {
  int64_t id = 0;          // assigned by the store (increasing)
  std::string applyId;
  std::string project;
  std::string env;
  std::string region;
  std::string address;
  std::string action;      // create | update | replace | delete
  std::string clientToken;
  std::string status;      // intent | done | failed
  Json detail = Json::object();
  int64_t at = 0;
};

// Roles the store plays beyond this interface (each with its own contract
// in its header): ConfigVersionStore (the config of record).
class Store : public ConfigVersionStore {
 public:
  virtual ~Store() = default;

  // Applies pending migrations; idempotent. Called by open().
  virtual Status migrate() = 0;
  virtual Result<int> schemaVersion() = 0;
  virtual std::string kind() const = 0;  // "sqlite" | "postgresql"

  // Releases are immutable: putRelease of an existing service+version is OK
  // when the digest is the same (no change) and kConflict when it differs.
  virtual Status putRelease(const ReleaseRecord& r) = 0;
  virtual Result<ReleaseRecord> getRelease(const std::string& service, const std::string& version) = 0;
  virtual Result<std::vector<ReleaseRecord>> listReleases(const std::optional<std::string>& service) = 0;

  // Deployments. insert: kConflict if the id exists. The record's revision is
  // updated in place on success.
  virtual Status insertDeployment(DeploymentRecord& d, const std::optional<Fence>& fence) = 0;
  virtual Status updateDeployment(DeploymentRecord& d, const std::optional<Fence>& fence) = 0;
  virtual Result<DeploymentRecord> getDeployment(const std::string& id) = 0;
  virtual Result<std::vector<DeploymentRecord>> listDeployments(const DeploymentFilter& f) = 0;

  // Fleets: upsert by id with the same revision rule (revision 0 = insert).
  virtual Status putFleet(FleetRecord& f, const std::optional<Fence>& fence) = 0;
  virtual Result<FleetRecord> getFleet(const std::string& id) = 0;
  virtual Result<std::vector<FleetRecord>> listFleets(const std::optional<std::string>& service,
                                                      const std::optional<std::string>& env,
                                                      bool includeRetired) = 0;

  // Leases with expiry. acquire succeeds when the lease is free, expired at
  // `now`, or already held by `owner` (then it is renewed, same epoch). A new
  // holder gets epoch = previous + 1. Otherwise kConflict naming the holder
  // and when it expires.
  virtual Result<Lease> acquireLease(const std::string& name, const std::string& owner,
                                     int64_t ttlMs, int64_t now) = 0;
  // Extends a lease still held by owner at epoch; kConflict if lost.
  virtual Result<Lease> renewLease(const std::string& name, const std::string& owner,
                                   int64_t epoch, int64_t ttlMs, int64_t now) = 0;
  // Frees it if owner holds it at epoch; otherwise no change, still OK.
  virtual Status releaseLease(const std::string& name, const std::string& owner, int64_t epoch) = 0;
  virtual Result<std::optional<Lease>> getLease(const std::string& name) = 0;

  // Audit log (append-only hash chain).
  virtual Result<AuditEvent> appendEvent(const AuditEventInput& e) = 0;
  virtual Result<std::vector<AuditEvent>> listEvents(const AuditFilter& f) = 0;

  // Users. putUser inserts or replaces by name (roles, disabled); the first
  // insert's created_at/created_by are kept. kInvalid for an empty name or
  // roles that are not an object of string arrays. getUser: kNotFound.
  // listUsers: by name.
  virtual Status putUser(const UserRecord& u) = 0;
  virtual Result<UserRecord> getUser(const std::string& name) = 0;
  virtual Result<std::vector<UserRecord>> listUsers() = 0;

  // Tokens. insertToken: kConflict when the id or the sha256 exists,
  // kInvalid for an empty id/user/sha256 (the user need not exist: callers
  // check). findTokenBySha256: kNotFound when no token has that hash (revoked
  // and expired ones are returned: the caller says which it is). listTokens:
  // oldest first, all users or one. revokeToken: sets revoked_at = now and
  // returns the record; a token already revoked keeps its first revoked_at
  // (still OK); kNotFound for an unknown id. touchToken: sets last_used_at
  // = at unless it already holds a later time (concurrent controllers never
  // move it backwards); kNotFound for an unknown id.
  virtual Status insertToken(const TokenRecord& t) = 0;
  virtual Result<TokenRecord> findTokenBySha256(const std::string& sha256) = 0;
  virtual Result<std::vector<TokenRecord>> listTokens(const std::optional<std::string>& user) = 0;
  virtual Result<TokenRecord> revokeToken(const std::string& id, int64_t now) = 0;
  virtual Status touchToken(const std::string& id, int64_t at) = 0;

  // Infrastructure state (issue 9). getInfraState: nullopt when the
  // project/env/region was never written. putInfraState is a compare-and-
  // swap on serial: `expectedSerial` is the serial the caller read (0 = no
  // row yet). It writes serial = expectedSerial + 1 (and sets r.serial) only
  // when the stored serial is exactly expectedSerial and, for an existing
  // row, its lineage equals r.lineage; otherwise kConflict naming the
  // region and both serials (or both lineages). kInvalid for an empty
  // project/env/lineage or a negative expectedSerial. listInfraStates: every
  // region of project/env, by region.
  virtual Result<std::optional<InfraStateRecord>> getInfraState(const std::string& project,
                                                                const std::string& env,
                                                                const std::string& region) = 0;
  virtual Status putInfraState(InfraStateRecord& r, int64_t expectedSerial) = 0;
  virtual Result<std::vector<InfraStateRecord>> listInfraStates(const std::string& project,
                                                                const std::string& env) = 0;

  // Apply journal. appendInfraJournal assigns and returns the id (ids grow).
  // kInvalid for an empty apply_id/project/env/address/action/status.
  // updateInfraJournal sets status, detail and at of one entry (kNotFound
  // for an unknown id). listInfraJournal: entries of project/env, oldest
  // first; openOnly = only those still in status "intent" (the in-flight
  // calls of an apply that was killed); applyId narrows to one apply.
  virtual Result<int64_t> appendInfraJournal(const InfraJournalRecord& e) = 0;
  virtual Status updateInfraJournal(int64_t id, const std::string& status, const Json& detail,
                                    int64_t at) = 0;
  virtual Result<std::vector<InfraJournalRecord>> listInfraJournal(
      const std::string& project, const std::string& env, bool openOnly,
      const std::optional<std::string>& applyId = std::nullopt) = 0;

  // Small settings (entry-point ports, world ids).
  virtual Result<std::optional<std::string>> getSetting(const std::string& key) = 0;
  // With a fence, refused (kConflict) unless that lease is held at that
  // epoch: engine state kept in settings (traffic plans, stable fleets) is
  // written only by the current leader.
  virtual Status putSetting(const std::string& key, const std::string& value,
                            const std::optional<Fence>& fence = std::nullopt) = 0;
  // Sets it only if absent; returns the value now stored (the winner's).
  virtual Result<std::string> putSettingIfAbsent(const std::string& key, const std::string& value) = 0;
};

// Opens a store from a URL: "sqlite:///abs/path.db", a plain path (SQLite),
// or "postgresql://..." / "postgres://..." (libpq connection URI; a Unix
// socket directory goes in ?host=/dir). Runs migrate().
Result<std::unique_ptr<Store>> openStore(const std::string& url);

}  // namespace ramp::store
