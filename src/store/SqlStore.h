// SqlStore.h — the one implementation of Store, over a SqlConnection.
//
// Every method's validation, error messages and SQL live here once; what
// differs between SQLite and PostgreSQL is the connection (SqliteConnection,
// PostgresConnection) and the few dialect markers of SqlDialect.h. openStore()
// (StoreFactory.cpp) picks the connection from the URL.
//
// Transactions (contract: Store.h, "every method is atomic"):
//  - A write is one atomic unit: the dialect's BEGIN (SQLite: BEGIN
//    IMMEDIATE, the database write lock from the first statement; PostgreSQL:
//    BEGIN at READ COMMITTED) ... COMMIT, its own rows rolled back when any
//    step fails. Writes that wait for the writer at the same time share one
//    transaction and one COMMIT, each in its own SAVEPOINT (group commit,
//    SqlGroupCommit.h): a failed write is rolled back to its savepoint alone;
//    a write returns only once the COMMIT holding it succeeded, and when that
//    COMMIT fails every write of the batch gets the error. Writes run one at
//    a time in queue order, so a write sees the writes before it in its batch
//    (an audit append reads the head the previous append wrote) exactly as if
//    they had committed just before it. Migrations and lease acquire, renew
//    and release are solo: always their own transaction.
//    Read-check-write sequences lock what they read: lease rows FOR UPDATE
//    (acquire/renew), FOR SHARE for fence checks (a takeover waits for
//    in-flight fenced writes: with group commit, for the batch's COMMIT),
//    infra state rows FOR UPDATE, and audit appends take the dialect's
//    append lock (PostgreSQL: LOCK TABLE audit_events IN SHARE ROW EXCLUSIVE
//    MODE: one appender at a time, readers not blocked). Locks are held until
//    the batch's COMMIT; on PostgreSQL, two processes' batches that take rows
//    in opposite orders can deadlock where single writes would not: the
//    server breaks it and the write it chose fails with kUnavailable (only
//    that write; the rest of its batch goes on).
//  - A read is one statement outside an explicit transaction (one statement
//    sees one snapshot; the two reads of release contents read rows that
//    never change once committed).
//  - Connections (thread-safe; issue #20): writes go through ONE writer
//    connection, used by one group-commit leader at a time under `mu_`;
//    reads go through a pool of read connections (SqlConnectionPool.h:
//    SQLite query_only connections to the same WAL file, PostgreSQL
//    read-only sessions), so a read never waits for a writer's commit (its
//    fsync) nor for another read. A read sees every write committed before
//    it started (WAL / READ COMMITTED): a caller that wrote and then reads
//    sees its write (a write returns after its COMMIT). A store built
//    without a pool reads on the writer under `mu_`.
//  - Migrations: each pending one in its own (solo) write transaction with
//    its schema_migrations row, after the dialect's migration lock
//    (PostgreSQL: pg_advisory_xact_lock(kMigrationLockKey)).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "store/SqlConnection.h"
#include "store/SqlConnectionPool.h"
#include "store/SqlGroupCommit.h"
#include "store/Store.h"

namespace ramp::store {

class SqlStore final : public Store {
 public:
  // Does not migrate: openStore() does, or call migrate(). `readers` may be
  // null: reads then share the writer (under its mutex). `batch` bounds the
  // group commit (SqlGroupCommit.h; openStore uses the defaults).
  explicit SqlStore(std::unique_ptr<SqlConnection> writer, std::unique_ptr<SqlConnectionPool> readers = nullptr,
                    WriteBatchLimits batch = {});
  SqlStore(const SqlStore&) = delete;
  SqlStore& operator=(const SqlStore&) = delete;

  Status migrate() override;
  Result<int> schemaVersion() override;
  std::string kind() const override { return dialect_.name; }
  // The writer's counters: commits, writes per commit (for benches, tests).
  WriteStats writerStats() const;

  Status putRelease(const ReleaseRecord& r) override;
  Result<ReleaseRecord> getRelease(const std::string& service, const std::string& version) override;
  Result<std::vector<ReleaseRecord>> listReleases(const std::optional<std::string>& service) override;
  Status putReleaseContent(const std::string& service, const std::string& version, const std::string& sha256,
                           std::string_view bytes) override;
  Result<std::optional<ReleaseContent>> getReleaseContent(const std::string& service,
                                                          const std::string& version) override;

  Status insertDeployment(DeploymentRecord& d, const std::optional<Fence>& fence,
                          const std::vector<AuditEventInput>& events = {}) override;
  Status updateDeployment(DeploymentRecord& d, const std::optional<Fence>& fence,
                          const std::vector<AuditEventInput>& events = {}) override;
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
  Result<std::optional<AuditSealRecord>> getAuditSeal() override;
  Status putAuditSeal(const AuditSealRecord& s) override;

  Result<std::vector<OutboxAlert>> claimDueAlerts(int64_t now, int64_t claimUntil, int64_t claimer,
                                                  int limit) override;
  Result<bool> settleAlert(int64_t id, const AlertAttempt& attempt,
                           const std::optional<AuditEventInput>& event) override;
  Result<std::vector<OutboxAlert>> listAlerts(const std::optional<int64_t>& eventSeq, int limit) override;

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

  Status putProviderEnvironment(const ProviderEnvironmentRecord& r) override;
  Result<std::vector<ProviderEnvironmentRecord>> listProviderEnvironments() override;
  Status putFleetPlacement(const FleetPlacementRecord& r) override;
  Result<std::optional<FleetPlacementRecord>> getFleetPlacement(const std::string& fleetId) override;
  Result<std::vector<FleetPlacementRecord>> listFleetPlacements() override;

  Status appendConfigVersion(ConfigVersionRecord& r) override;
  Status updateConfigVersion(ConfigVersionRecord& r) override;
  Result<ConfigVersionRecord> getConfigVersion(int64_t version) override;
  Result<std::optional<ConfigVersionRecord>> configVersionInForce() override;
  Result<std::vector<ConfigVersionRecord>> listConfigVersions(const std::vector<std::string>& states,
                                                              int limit) override;

  Status putEntrypointUrl(const EntrypointKey& key, const std::string& url,
                          const std::optional<Fence>& fence) override;
  Status putTrafficPlan(const EntrypointKey& key, const Json& plan, const std::optional<Fence>& fence,
                        const std::vector<AuditEventInput>& events = {}) override;
  Status putStableFleet(const EntrypointKey& key, const std::string& fleet, const std::string& version,
                        const std::optional<Fence>& fence) override;
  Result<std::optional<EntrypointRecord>> getEntrypoint(const EntrypointKey& key) override;
  Result<std::vector<EntrypointRecord>> listEntrypoints() override;

  Result<std::optional<std::string>> getSetting(const std::string& key) override;
  Status putSetting(const std::string& key, const std::string& value,
                    const std::optional<Fence>& fence = std::nullopt) override;
  Result<std::string> putSettingIfAbsent(const std::string& key, const std::string& value) override;

 private:
  // One statement on `db` with the dialect's markers expanded.
  Result<SqlResult> sql(SqlConnection& db, std::string_view text, const std::vector<SqlValue>& params = {});
  // body(SqlConnection&) in a write transaction on the writer through the
  // group commit (its own transaction when `solo`).
  template <class Body>
  auto write(Body&& body, bool solo = false) -> decltype(body(std::declval<SqlConnection&>()));
  // body(SqlConnection&) on a read connection (see "Connections").
  template <class Body>
  auto read(Body&& body) -> decltype(body(std::declval<SqlConnection&>()));

  // Every row of the query `text` on a read connection, through `readRow`.
  template <class T>
  Result<std::vector<T>> readRows(std::string_view text, const std::vector<SqlValue>& params,
                                  Result<T> (*readRow)(const SqlRow&));
  // The entry point's row with `columns` set (made on first write), fenced,
  // and `events` appended in the same transaction.
  Status upsertEntrypoint(const EntrypointKey& key, const std::vector<std::pair<std::string, SqlValue>>& columns,
                          const std::optional<Fence>& fence, const std::vector<AuditEventInput>& events = {});
  // Inside a write: kConflict unless `fence`'s lease is held at its epoch.
  Status checkFence(SqlConnection& db, const std::optional<Fence>& fence);
  // Inside a write, after an update by revision changed no row of `table`
  // (keyed by id): kNotFound when `noun` `id` is gone, else kConflict naming
  // the revision it is at and the one the update was based on.
  Status staleRevision(SqlConnection& db, std::string_view table, std::string_view noun, const std::string& id,
                       int64_t basedOn);
  // Inside a write: appends one event to the chain (assigns seq and hashes);
  // `dataText` is checkedEvent()'s encoding of its data.
  Result<AuditEvent> appendEventIn(SqlConnection& db, const AuditEventInput& in, const std::string& dataText);
  // Inside a write: appends events (texts from checkedEvents) in order.
  Status appendEventsIn(SqlConnection& db, const std::vector<AuditEventInput>& events,
                        const std::vector<std::string>& texts);
  // Inside a write: the config version in force (0 = none), after the
  // dialect's config version lock.
  Result<int64_t> lockedConfigVersionInForce(SqlConnection& db);
  // Inside a write: the version in force (if any, and if `r` goes in force)
  // becomes superseded.
  Status supersedeFor(SqlConnection& db, const ConfigVersionRecord& r, int64_t inForce);

  std::unique_ptr<SqlConnection> conn_;            // the writer; used only under mu_
  std::unique_ptr<SqlConnectionPool> readers_;    // may be null; thread-safe itself
  const SqlDialect& dialect_;
  std::mutex mu_;                                 // the writer connection (and reads when !readers_)
  SqlGroupCommit writer_;                         // every write; takes mu_ to use conn_
};

}  // namespace ramp::store
