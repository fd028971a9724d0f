// SqliteStore.h — the embedded Store: one SQLite file (WAL) in the home.
//
// Contract: Store.h. Implementation notes:
//  - The file is created with mode 0600 (its -wal/-shm files inherit it).
//  - journal_mode=WAL, synchronous=FULL (a commit is on disk before the side
//    effect it precedes), foreign_keys=ON, busy_timeout 10 s: other
//    processes opening the same file wait their turn instead of failing.
//  - One connection guarded by a mutex (thread-safe, calls serialised);
//    prepared statements are cached per SQL text.
//  - Every write is one BEGIN IMMEDIATE transaction: the write lock is taken
//    up front, so read-check-write sequences (revisions, fences, leases, the
//    audit chain head) cannot interleave across threads or processes.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "store/Store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ramp::store {

class SqliteStore final : public Store {
 public:
  // Opens or creates the database file (its directory must exist). Does not
  // migrate: openStore() does, or call migrate().
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Status migrate() override;
  Result<int> schemaVersion() override;
  std::string kind() const override { return "sqlite"; }

  Status putRelease(const ReleaseRecord& r) override;
  Result<ReleaseRecord> getRelease(const std::string& service, const std::string& version) override;
  Result<std::vector<ReleaseRecord>> listReleases(const std::optional<std::string>& service) override;

  Status insertDeployment(DeploymentRecord& d, const std::optional<Fence>& fence) override;
  Status updateDeployment(DeploymentRecord& d, const std::optional<Fence>& fence) override;
  Result<DeploymentRecord> getDeployment(const std::string& id) override;
  Result<std::vector<DeploymentRecord>> listDeployments(const DeploymentFilter& f) override;

  Status putFleet(FleetRecord& f, const std::optional<Fence>& fence) override;
  Result<FleetRecord> getFleet(const std::string& id) override;
  Result<std::vector<FleetRecord>> listFleets(const std::optional<std::string>& service,
                                              const std::optional<std::string>& env,
                                              bool includeRetired) override;

  Result<Lease> acquireLease(const std::string& name, const std::string& owner, int64_t ttlMs,
                             int64_t now) override;
  Result<Lease> renewLease(const std::string& name, const std::string& owner, int64_t epoch,
                           int64_t ttlMs, int64_t now) override;
  Status releaseLease(const std::string& name, const std::string& owner, int64_t epoch) override;
  Result<std::optional<Lease>> getLease(const std::string& name) override;

  Result<AuditEvent> appendEvent(const AuditEventInput& e) override;
  Result<std::vector<AuditEvent>> listEvents(const AuditFilter& f) override;

  Status putUser(const UserRecord& u) override;
  Result<UserRecord> getUser(const std::string& name) override;
  Result<std::vector<UserRecord>> listUsers() override;
  Status insertToken(const TokenRecord& t) override;
  Result<TokenRecord> findTokenBySha256(const std::string& sha256) override;
  Result<std::vector<TokenRecord>> listTokens(const std::optional<std::string>& user) override;
  Result<TokenRecord> revokeToken(const std::string& id, int64_t now) override;
  Status touchToken(const std::string& id, int64_t at) override;

  Result<std::optional<InfraStateRecord>> getInfraState(const std::string& project,
                                                        const std::string& env,
                                                        const std::string& region) override;
  Status putInfraState(InfraStateRecord& r, int64_t expectedSerial) override;
  Result<std::vector<InfraStateRecord>> listInfraStates(const std::string& project,
                                                        const std::string& env) override;
  Result<int64_t> appendInfraJournal(const InfraJournalRecord& e) override;
  Status updateInfraJournal(int64_t id, const std::string& status, const Json& detail,
                            int64_t at) override;
  Result<std::vector<InfraJournalRecord>> listInfraJournal(
      const std::string& project, const std::string& env, bool openOnly,
      const std::optional<std::string>& applyId = std::nullopt) override;

  Status appendConfigVersion(ConfigVersionRecord& r) override;
  Status updateConfigVersion(ConfigVersionRecord& r) override;
  Result<ConfigVersionRecord> getConfigVersion(int64_t version) override;
  Result<std::optional<ConfigVersionRecord>> configVersionInForce() override;
  Result<std::vector<ConfigVersionRecord>> listConfigVersions(const std::vector<std::string>& states,
                                                              int limit) override;

  Result<std::optional<std::string>> getSetting(const std::string& key) override;
  Status putSetting(const std::string& key, const std::string& value,
                    const std::optional<Fence>& fence = std::nullopt) override;
  Result<std::string> putSettingIfAbsent(const std::string& key, const std::string& value) override;

  // Test-only: empties every table except schema_migrations.
  Status truncateAllForTests();

  const std::string& path() const { return path_; }

 private:
  SqliteStore(sqlite3* db, std::string path);

  Result<sqlite3_stmt*> prepare(const std::string& sql);
  Status execScript(const char* sql, const char* what);
  Error sqlError(int rc, const std::string& what) const;
  template <class Body>
  auto inWriteTransaction(Body&& body) -> decltype(body());

  sqlite3* db_ = nullptr;
  std::string path_;
  std::mutex mu_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace ramp::store
