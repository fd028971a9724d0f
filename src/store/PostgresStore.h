// PostgresStore.h — the shared Store: PostgreSQL through libpq, for highly
// available controllers that share one database.
//
// Contract: Store.h. Implementation notes:
//  - One connection guarded by a mutex (thread-safe, calls serialised). A
//    broken connection is reset at the start of the next call; a call that
//    fails mid-transaction reports kUnavailable and is not retried (its
//    commit state is unknown to us; every write is safe to re-issue as the
//    contract makes them revision- or fence-checked).
//  - Parameterised queries only ($1, $2, ...), READ COMMITTED with explicit
//    row locks: lease rows are taken FOR UPDATE (acquire/renew) or FOR SHARE
//    (fence checks, so a takeover waits for in-flight fenced writes); audit
//    appends take LOCK TABLE audit_events IN SHARE ROW EXCLUSIVE MODE (one
//    appender at a time, readers not blocked); migrations take
//    pg_advisory_xact_lock(kMigrationLockKey).
//  - connect_timeout 10 s (unless the URL says otherwise), lock_timeout 10 s
//    and statement_timeout 60 s so no call waits forever.
//  - Errors name the URL with its password redacted (StoreUrl.h).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/Store.h"

struct pg_conn;
struct pg_result;

namespace ramp::store {

class PostgresStore final : public Store {
 public:
  // Connects (a libpq URI "postgresql://..." or key=value conninfo). Does not
  // migrate: openStore() does, or call migrate().
  static Result<std::unique_ptr<PostgresStore>> open(const std::string& url);
  ~PostgresStore() override;
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  Status migrate() override;
  Result<int> schemaVersion() override;
  std::string kind() const override { return "postgresql"; }

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

 private:
  using Param = std::optional<std::string>;
  struct ResultDeleter {
    void operator()(pg_result* r) const;
  };
  using PgResult = std::unique_ptr<pg_result, ResultDeleter>;

  PostgresStore(pg_conn* conn, std::string url);

  Status ensureConnected();
  Result<PgResult> exec(const std::string& sql, const std::vector<Param>& params = {});
  Status execScript(const std::string& sql, const std::string& what);
  Error pgError(const pg_result* res, const std::string& what) const;
  Status checkFenceLocked(const std::optional<Fence>& fence);
  template <class Body>
  auto inTransaction(Body&& body) -> decltype(body());
  template <class Body>
  auto inSession(Body&& body) -> decltype(body());

  pg_conn* conn_ = nullptr;
  std::string url_;       // as given (may hold a password: never shown)
  std::string shownUrl_;  // redacted, for messages
  std::mutex mu_;
};

}  // namespace ramp::store
