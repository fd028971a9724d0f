#include "store/PostgresStore.h"

#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "store/AuditChain.h"
#include "store/IdentityRows.h"
#include "store/InfraRows.h"
#include "store/JsonText.h"
#include "store/LeaseRules.h"
#include "store/ConfigVersionRows.h"
#include "store/Migrations.h"
#include "store/StoreUrl.h"

namespace ramp::store {

namespace {

constexpr const char* kReleaseCols = "service, version, digest, created_by, created_at, doc";
constexpr const char* kDeploymentCols =
    "id, service, env, state, created_at, updated_at, revision, doc";
constexpr const char* kFleetCols =
    "id, service, env, region, version, digest, state, created_at, updated_at, revision, doc";
constexpr const char* kUserCols = "name, roles, created_at, created_by, disabled";
constexpr const char* kTokenCols =
    "id, user_name, name, sha256, created_at, expires_at, revoked_at, last_used_at";
constexpr const char* kEventCols =
    "seq, time, actor, kind, service, env, deployment_id, data, prev_hash, hash";

std::string text(const PGresult* r, int row, int col) {
  return std::string(PQgetvalue(r, row, col), static_cast<size_t>(PQgetlength(r, row, col)));
}

int64_t int64(const PGresult* r, int row, int col) {
  const char* p = PQgetvalue(r, row, col);
  int64_t v = 0;
  std::from_chars(p, p + PQgetlength(r, row, col), v);
  return v;
}

std::string num(int64_t v) { return std::to_string(v); }

Result<ReleaseRecord> readRelease(const PGresult* r, int i) {
  ReleaseRecord x;
  x.service = text(r, i, 0);
  x.version = text(r, i, 1);
  x.digest = text(r, i, 2);
  x.createdBy = text(r, i, 3);
  x.createdAt = int64(r, i, 4);
  auto doc = fromJsonText(text(r, i, 5), "release " + x.service + "@" + x.version);
  if (!doc) return std::unexpected(doc.error());
  x.doc = std::move(*doc);
  return x;
}

Result<DeploymentRecord> readDeployment(const PGresult* r, int i) {
  DeploymentRecord d;
  d.id = text(r, i, 0);
  d.service = text(r, i, 1);
  d.env = text(r, i, 2);
  d.state = text(r, i, 3);
  d.createdAt = int64(r, i, 4);
  d.updatedAt = int64(r, i, 5);
  d.revision = int64(r, i, 6);
  auto doc = fromJsonText(text(r, i, 7), "deployment " + d.id);
  if (!doc) return std::unexpected(doc.error());
  d.doc = std::move(*doc);
  return d;
}

Result<FleetRecord> readFleet(const PGresult* r, int i) {
  FleetRecord f;
  f.id = text(r, i, 0);
  f.service = text(r, i, 1);
  f.env = text(r, i, 2);
  f.region = text(r, i, 3);
  f.version = text(r, i, 4);
  f.digest = text(r, i, 5);
  f.state = text(r, i, 6);
  f.createdAt = int64(r, i, 7);
  f.updatedAt = int64(r, i, 8);
  f.revision = int64(r, i, 9);
  auto doc = fromJsonText(text(r, i, 10), "fleet " + f.id);
  if (!doc) return std::unexpected(doc.error());
  f.doc = std::move(*doc);
  return f;
}

std::optional<int64_t> optInt64(const PGresult* r, int row, int col) {
  if (PQgetisnull(r, row, col)) return std::nullopt;
  return int64(r, row, col);
}

Result<UserRecord> readUser(const PGresult* r, int i) {
  UserRecord u;
  u.name = text(r, i, 0);
  auto roles = fromJsonText(text(r, i, 1), "user " + u.name);
  if (!roles) return std::unexpected(roles.error());
  u.roles = std::move(*roles);
  u.createdAt = int64(r, i, 2);
  u.createdBy = text(r, i, 3);
  u.disabled = int64(r, i, 4) != 0;
  return u;
}

TokenRecord readToken(const PGresult* r, int i) {
  TokenRecord t;
  t.id = text(r, i, 0);
  t.user = text(r, i, 1);
  t.name = text(r, i, 2);
  t.sha256 = text(r, i, 3);
  t.createdAt = int64(r, i, 4);
  t.expiresAt = optInt64(r, i, 5);
  t.revokedAt = optInt64(r, i, 6);
  t.lastUsedAt = optInt64(r, i, 7);
  return t;
}

Result<AuditEvent> readEvent(const PGresult* r, int i) {
  AuditEvent e;
  e.seq = int64(r, i, 0);
  e.time = int64(r, i, 1);
  e.actor = text(r, i, 2);
  e.kind = text(r, i, 3);
  e.service = text(r, i, 4);
  e.env = text(r, i, 5);
  e.deploymentId = text(r, i, 6);
  auto data = fromJsonText(text(r, i, 7), fmt::format("audit event {}", e.seq));
  if (!data) return std::unexpected(data.error());
  e.data = std::move(*data);
  e.prevHash = text(r, i, 8);
  e.hash = text(r, i, 9);
  return e;
}

void ignoreNotice(void*, const char*) {}

std::string firstLine(const char* msg) {
  std::string s = msg ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

void PostgresStore::ResultDeleter::operator()(pg_result* r) const { PQclear(r); }

// ---------------------------------------------------------------- plumbing

PostgresStore::PostgresStore(pg_conn* conn, std::string url)
    : conn_(conn), url_(std::move(url)), shownUrl_(redactStoreUrl(url_)) {}

PostgresStore::~PostgresStore() { PQfinish(conn_); }

namespace {

PGconn* connect(const std::string& url) {
  // connect_timeout first: a value in the URL (expanded from dbname) wins.
  const char* keys[] = {"connect_timeout", "dbname", "client_encoding", nullptr};
  const char* values[] = {"10", url.c_str(), "UTF8", nullptr};
  return PQconnectdbParams(keys, values, /*expand_dbname=*/1);
}

std::string sessionSetup() {
  return "SET lock_timeout = '10s'; SET statement_timeout = '60s'; "
         "SET client_min_messages = warning; SET TIME ZONE 'UTC'";
}

}  // namespace

Result<std::unique_ptr<PostgresStore>> PostgresStore::open(const std::string& url) {
  std::string shown = redactStoreUrl(url);
  PGconn* conn = connect(url);
  if (!conn) return unavailable("cannot allocate a PostgreSQL connection", "store " + shown);
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = firstLine(PQerrorMessage(conn));
    PQfinish(conn);
    return unavailable(fmt::format("cannot connect to PostgreSQL: {}", msg), "store " + shown);
  }
  PQsetNoticeProcessor(conn, ignoreNotice, nullptr);
  std::unique_ptr<PostgresStore> store(new PostgresStore(conn, url));
  std::lock_guard lock(store->mu_);
  if (auto st = store->execScript(sessionSetup(), "setting up the session"); !st) {
    return std::unexpected(st.error());
  }
  return store;
}

Status PostgresStore::ensureConnected() {
  if (PQstatus(conn_) != CONNECTION_OK) {
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) {
      return unavailable(fmt::format("PostgreSQL unreachable: {}", firstLine(PQerrorMessage(conn_))),
                         "store " + shownUrl_);
    }
    PQsetNoticeProcessor(conn_, ignoreNotice, nullptr);
    if (auto st = execScript(sessionSetup(), "setting up the session"); !st) return st;
  }
  if (PQtransactionStatus(conn_) != PQTRANS_IDLE) {
    PgResult r(PQexec(conn_, "ROLLBACK"));
  }
  return ok();
}

Error PostgresStore::pgError(const pg_result* res, const std::string& what) const {
  std::string msg = firstLine(res ? PQresultErrorMessage(res) : PQerrorMessage(conn_));
  if (msg.empty()) msg = firstLine(PQerrorMessage(conn_));
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string sqlstate = state ? state : "";
  ErrorCode code = ErrorCode::kInternal;
  if (!res || PQstatus(conn_) != CONNECTION_OK || sqlstate.rfind("08", 0) == 0 ||
      sqlstate.rfind("57P", 0) == 0) {
    code = ErrorCode::kUnavailable;
  } else if (sqlstate == "23505") {
    code = ErrorCode::kConflict;
  } else if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03" ||
             sqlstate == "57014") {
    code = ErrorCode::kUnavailable;  // serialization failure, deadlock, lock/statement timeout
  } else if (sqlstate.rfind("22", 0) == 0) {
    code = ErrorCode::kInvalid;  // data exception: e.g. a NUL byte in a text value
  }
  return Error{code, fmt::format("{}: {}", what, msg), "store " + shownUrl_};
}

Result<PostgresStore::PgResult> PostgresStore::exec(const std::string& sql,
                                                    const std::vector<Param>& params) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  values.reserve(params.size());
  for (const Param& p : params) {
    values.push_back(p ? p->c_str() : nullptr);
    lengths.push_back(p ? static_cast<int>(p->size()) : 0);
  }
  PgResult res(PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr,
                            values.data(), lengths.data(), nullptr, 0));
  ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return std::unexpected(pgError(res.get(), "query failed"));
  }
  return res;
}

Status PostgresStore::execScript(const std::string& sql, const std::string& what) {
  PgResult res(PQexec(conn_, sql.c_str()));
  ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return std::unexpected(pgError(res.get(), what));
  }
  return ok();
}

// Runs body inside BEGIN ... COMMIT under the mutex; rolls back when body
// returns an error or the commit fails.
template <class Body>
auto PostgresStore::inTransaction(Body&& body) -> decltype(body()) {
  std::lock_guard lock(mu_);
  if (auto st = ensureConnected(); !st) return std::unexpected(st.error());
  if (auto st = execScript("BEGIN", "beginning a transaction"); !st) return std::unexpected(st.error());
  auto result = body();
  if (!result) {
    execScript("ROLLBACK", "rolling back");
    return result;
  }
  if (auto st = execScript("COMMIT", "committing"); !st) {
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE) execScript("ROLLBACK", "rolling back");
    return std::unexpected(st.error());
  }
  return result;
}

// Runs a single-statement read under the mutex, outside an explicit
// transaction (one statement is atomic and sees one snapshot).
template <class Body>
auto PostgresStore::inSession(Body&& body) -> decltype(body()) {
  std::lock_guard lock(mu_);
  if (auto st = ensureConnected(); !st) return std::unexpected(st.error());
  return body();
}

#define RAMP_TRY_EXEC(var, ...)                     \
  auto var = exec(__VA_ARGS__);                     \
  if (!var) return std::unexpected(var.error())

Status PostgresStore::checkFenceLocked(const std::optional<Fence>& fence) {
  if (!fence) return ok();
  RAMP_TRY_EXEC(r, "SELECT owner, epoch, expires_at FROM leases WHERE name = $1 FOR SHARE",
                {fence->lease});
  std::optional<LeaseRow> row;
  if (PQntuples(r->get()) == 1) {
    row = LeaseRow{text(r->get(), 0, 0), int64(r->get(), 0, 1), int64(r->get(), 0, 2)};
  }
  return checkFence(*fence, row);
}

// ---------------------------------------------------------------- migrations

Status PostgresStore::migrate() {
  for (const Migration& m : migrations()) {
    auto st = inTransaction([&]() -> Status {
      RAMP_TRY_EXEC(lk, "SELECT pg_advisory_xact_lock($1::bigint)", {num(kMigrationLockKey)});
      if (auto t = execScript(kPostgresMigrationsTable, "creating schema_migrations"); !t) return t;
      RAMP_TRY_EXEC(mx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
      int64_t current = int64(mx->get(), 0, 0);
      if (current > latestSchemaVersion()) {
        return failedPrecondition(fmt::format(
            "database schema version {} is newer than this ramp knows ({}); upgrade ramp",
            current, latestSchemaVersion()), "store " + shownUrl_);
      }
      RAMP_TRY_EXEC(has, "SELECT 1 FROM schema_migrations WHERE version = $1::integer",
                    {num(m.version)});
      if (PQntuples(has->get()) > 0) return ok();
      if (auto t = execScript(m.postgres, fmt::format("migration {} ({})", m.version, m.name)); !t) {
        return t;
      }
      RAMP_TRY_EXEC(ins, "INSERT INTO schema_migrations (version, name) VALUES ($1::integer, $2)",
                    {num(m.version), m.name});
      return ok();
    });
    if (!st) return st;
  }
  return ok();
}

Result<int> PostgresStore::schemaVersion() {
  return inTransaction([&]() -> Result<int> {
    RAMP_TRY_EXEC(t, "SELECT to_regclass('schema_migrations') IS NOT NULL");
    if (text(t->get(), 0, 0) != "t") return 0;
    RAMP_TRY_EXEC(mx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    return static_cast<int>(int64(mx->get(), 0, 0));
  });
}

// ---------------------------------------------------------------- releases

Status PostgresStore::putRelease(const ReleaseRecord& r) {
  if (r.service.empty()) return invalid("release service is empty", "service");
  if (r.version.empty()) return invalid("release version is empty", "version");
  if (r.digest.empty()) return invalid("release digest is empty", "digest");
  auto doc = toJsonText(r.doc, "doc");
  if (!doc) return std::unexpected(doc.error());
  return inTransaction([&]() -> Status {
    RAMP_TRY_EXEC(ins,
                  fmt::format("INSERT INTO releases ({}) VALUES ($1, $2, $3, $4, $5::bigint, $6) "
                              "ON CONFLICT (service, version) DO NOTHING",
                              kReleaseCols),
                  {r.service, r.version, r.digest, r.createdBy, num(r.createdAt), *doc});
    if (std::strcmp(PQcmdTuples(ins->get()), "1") == 0) return ok();
    RAMP_TRY_EXEC(sel, "SELECT digest FROM releases WHERE service = $1 AND version = $2",
                  {r.service, r.version});
    if (PQntuples(sel->get()) != 1) return internal("release vanished during putRelease");
    std::string existing = text(sel->get(), 0, 0);
    if (existing == r.digest) return ok();
    return conflict(fmt::format("release {} {} already exists with digest {}; releases are "
                                "immutable (refusing digest {})",
                                r.service, r.version, existing, r.digest),
                    "release " + r.service + "@" + r.version);
  });
}

Result<ReleaseRecord> PostgresStore::getRelease(const std::string& service, const std::string& version) {
  return inSession([&]() -> Result<ReleaseRecord> {
    RAMP_TRY_EXEC(r, fmt::format("SELECT {} FROM releases WHERE service = $1 AND version = $2",
                                 kReleaseCols),
                  {service, version});
    if (PQntuples(r->get()) == 0) {
      return notFound(fmt::format("no release {} {}", service, version),
                      "release " + service + "@" + version);
    }
    return readRelease(r->get(), 0);
  });
}

Result<std::vector<ReleaseRecord>> PostgresStore::listReleases(const std::optional<std::string>& service) {
  return inSession([&]() -> Result<std::vector<ReleaseRecord>> {
    RAMP_TRY_EXEC(r, fmt::format("SELECT {} FROM releases WHERE ($1::text IS NULL OR service = $1) "
                                 "ORDER BY service COLLATE \"C\", created_at, version COLLATE \"C\"",
                                 kReleaseCols),
                  {service});
    std::vector<ReleaseRecord> out;
    for (int i = 0; i < PQntuples(r->get()); ++i) {
      auto x = readRelease(r->get(), i);
      if (!x) return std::unexpected(x.error());
      out.push_back(std::move(*x));
    }
    return out;
  });
}

// ---------------------------------------------------------------- deployments

Status PostgresStore::insertDeployment(DeploymentRecord& d, const std::optional<Fence>& fence) {
  if (d.id.empty()) return invalid("deployment id is empty", "id");
  auto doc = toJsonText(d.doc, "deployment " + d.id + ": doc");
  if (!doc) return std::unexpected(doc.error());
  return inTransaction([&]() -> Status {
    if (auto f = checkFenceLocked(fence); !f) return f;
    RAMP_TRY_EXEC(ins,
                  fmt::format("INSERT INTO deployments ({}) VALUES ($1, $2, $3, $4, $5::bigint, "
                              "$6::bigint, 1, $7) ON CONFLICT (id) DO NOTHING",
                              kDeploymentCols),
                  {d.id, d.service, d.env, d.state, num(d.createdAt), num(d.updatedAt), *doc});
    if (std::strcmp(PQcmdTuples(ins->get()), "1") != 0) {
      return conflict(fmt::format("deployment {} already exists", d.id), "deployment " + d.id);
    }
    d.revision = 1;
    return ok();
  });
}

Status PostgresStore::updateDeployment(DeploymentRecord& d, const std::optional<Fence>& fence) {
  if (d.id.empty()) return invalid("deployment id is empty", "id");
  auto doc = toJsonText(d.doc, "deployment " + d.id + ": doc");
  if (!doc) return std::unexpected(doc.error());
  return inTransaction([&]() -> Status {
    if (auto f = checkFenceLocked(fence); !f) return f;
    RAMP_TRY_EXEC(up,
                  "UPDATE deployments SET service = $2, env = $3, state = $4, updated_at = $5::bigint, "
                  "doc = $6, revision = revision + 1 WHERE id = $1 AND revision = $7::bigint",
                  {d.id, d.service, d.env, d.state, num(d.updatedAt), *doc, num(d.revision)});
    if (std::strcmp(PQcmdTuples(up->get()), "1") == 0) {
      ++d.revision;
      return ok();
    }
    RAMP_TRY_EXEC(sel, "SELECT revision FROM deployments WHERE id = $1", {d.id});
    if (PQntuples(sel->get()) == 0) {
      return notFound(fmt::format("no deployment {}", d.id), "deployment " + d.id);
    }
    return conflict(fmt::format("deployment {} was changed by someone else: it is at revision {}, "
                                "this update was based on revision {}",
                                d.id, int64(sel->get(), 0, 0), d.revision),
                    "deployment " + d.id);
  });
}

Result<DeploymentRecord> PostgresStore::getDeployment(const std::string& id) {
  return inSession([&]() -> Result<DeploymentRecord> {
    RAMP_TRY_EXEC(r, fmt::format("SELECT {} FROM deployments WHERE id = $1", kDeploymentCols), {id});
    if (PQntuples(r->get()) == 0) return notFound(fmt::format("no deployment {}", id), "deployment " + id);
    return readDeployment(r->get(), 0);
  });
}

Result<std::vector<DeploymentRecord>> PostgresStore::listDeployments(const DeploymentFilter& f) {
  if (f.limit <= 0) return invalid(fmt::format("limit must be positive, got {}", f.limit), "limit");
  std::string sql = fmt::format("SELECT {} FROM deployments WHERE true", kDeploymentCols);
  std::vector<Param> args;
  if (f.service) {
    args.emplace_back(*f.service);
    sql += fmt::format(" AND service = ${}", args.size());
  }
  if (f.env) {
    args.emplace_back(*f.env);
    sql += fmt::format(" AND env = ${}", args.size());
  }
  if (f.activeOnly) sql += " AND state IN ('queued', 'running', 'paused', 'awaiting_approval')";
  args.emplace_back(num(f.limit));
  sql += fmt::format(" ORDER BY created_at DESC, id COLLATE \"C\" DESC LIMIT ${}::bigint", args.size());
  return inSession([&]() -> Result<std::vector<DeploymentRecord>> {
    RAMP_TRY_EXEC(r, sql, args);
    std::vector<DeploymentRecord> out;
    for (int i = 0; i < PQntuples(r->get()); ++i) {
      auto d = readDeployment(r->get(), i);
      if (!d) return std::unexpected(d.error());
      out.push_back(std::move(*d));
    }
    return out;
  });
}

// ---------------------------------------------------------------- fleets

Status PostgresStore::putFleet(FleetRecord& f, const std::optional<Fence>& fence) {
  if (f.id.empty()) return invalid("fleet id is empty", "id");
  if (f.revision < 0) return invalid(fmt::format("fleet {}: negative revision {}", f.id, f.revision), "revision");
  auto doc = toJsonText(f.doc, "fleet " + f.id + ": doc");
  if (!doc) return std::unexpected(doc.error());
  return inTransaction([&]() -> Status {
    if (auto fc = checkFenceLocked(fence); !fc) return fc;
    if (f.revision == 0) {
      RAMP_TRY_EXEC(ins,
                    fmt::format("INSERT INTO fleets ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::bigint, "
                                "$9::bigint, 1, $10) ON CONFLICT (id) DO NOTHING",
                                kFleetCols),
                    {f.id, f.service, f.env, f.region, f.version, f.digest, f.state, num(f.createdAt),
                     num(f.updatedAt), *doc});
      if (std::strcmp(PQcmdTuples(ins->get()), "1") != 0) {
        return conflict(fmt::format("fleet {} already exists (insert with revision 0)", f.id),
                        "fleet " + f.id);
      }
      f.revision = 1;
      return ok();
    }
    RAMP_TRY_EXEC(up,
                  "UPDATE fleets SET service = $2, env = $3, region = $4, version = $5, digest = $6, "
                  "state = $7, updated_at = $8::bigint, doc = $9, revision = revision + 1 "
                  "WHERE id = $1 AND revision = $10::bigint",
                  {f.id, f.service, f.env, f.region, f.version, f.digest, f.state, num(f.updatedAt),
                   *doc, num(f.revision)});
    if (std::strcmp(PQcmdTuples(up->get()), "1") == 0) {
      ++f.revision;
      return ok();
    }
    RAMP_TRY_EXEC(sel, "SELECT revision FROM fleets WHERE id = $1", {f.id});
    if (PQntuples(sel->get()) == 0) return notFound(fmt::format("no fleet {}", f.id), "fleet " + f.id);
    return conflict(fmt::format("fleet {} was changed by someone else: it is at revision {}, this "
                                "update was based on revision {}",
                                f.id, int64(sel->get(), 0, 0), f.revision),
                    "fleet " + f.id);
  });
}

Result<FleetRecord> PostgresStore::getFleet(const std::string& id) {
  return inSession([&]() -> Result<FleetRecord> {
    RAMP_TRY_EXEC(r, fmt::format("SELECT {} FROM fleets WHERE id = $1", kFleetCols), {id});
    if (PQntuples(r->get()) == 0) return notFound(fmt::format("no fleet {}", id), "fleet " + id);
    return readFleet(r->get(), 0);
  });
}

Result<std::vector<FleetRecord>> PostgresStore::listFleets(const std::optional<std::string>& service,
                                                           const std::optional<std::string>& env,
                                                           bool includeRetired) {
  std::string sql = fmt::format("SELECT {} FROM fleets WHERE true", kFleetCols);
  std::vector<Param> args;
  if (service) {
    args.emplace_back(*service);
    sql += fmt::format(" AND service = ${}", args.size());
  }
  if (env) {
    args.emplace_back(*env);
    sql += fmt::format(" AND env = ${}", args.size());
  }
  if (!includeRetired) sql += " AND state <> 'retired'";
  sql += " ORDER BY created_at, id COLLATE \"C\"";
  return inSession([&]() -> Result<std::vector<FleetRecord>> {
    RAMP_TRY_EXEC(r, sql, args);
    std::vector<FleetRecord> out;
    for (int i = 0; i < PQntuples(r->get()); ++i) {
      auto f = readFleet(r->get(), i);
      if (!f) return std::unexpected(f.error());
      out.push_back(std::move(*f));
    }
    return out;
  });
}

// ---------------------------------------------------------------- leases

Result<Lease> PostgresStore::acquireLease(const std::string& name, const std::string& owner,
                                          int64_t ttlMs, int64_t now) {
  if (auto v = validateLeaseRequest(name, owner, ttlMs); !v) return std::unexpected(v.error());
  return inTransaction([&]() -> Result<Lease> {
    RAMP_TRY_EXEC(ins,
                  "INSERT INTO leases (name, owner, epoch, expires_at) VALUES ($1, '', 0, 0) "
                  "ON CONFLICT (name) DO NOTHING",
                  {name});
    RAMP_TRY_EXEC(sel, "SELECT owner, epoch, expires_at FROM leases WHERE name = $1 FOR UPDATE", {name});
    if (PQntuples(sel->get()) != 1) return internal("lease row vanished during acquire");
    LeaseRow row{text(sel->get(), 0, 0), int64(sel->get(), 0, 1), int64(sel->get(), 0, 2)};
    auto next = decideAcquire(name, row, owner, ttlMs, now);
    if (!next) return next;
    RAMP_TRY_EXEC(up,
                  "UPDATE leases SET owner = $2, epoch = $3::bigint, expires_at = $4::bigint "
                  "WHERE name = $1",
                  {name, next->owner, num(next->epoch), num(next->expiresAt)});
    return next;
  });
}

Result<Lease> PostgresStore::renewLease(const std::string& name, const std::string& owner,
                                        int64_t epoch, int64_t ttlMs, int64_t now) {
  if (auto v = validateLeaseRequest(name, owner, ttlMs); !v) return std::unexpected(v.error());
  return inTransaction([&]() -> Result<Lease> {
    RAMP_TRY_EXEC(sel, "SELECT owner, epoch, expires_at FROM leases WHERE name = $1 FOR UPDATE", {name});
    std::optional<LeaseRow> row;
    if (PQntuples(sel->get()) == 1) {
      row = LeaseRow{text(sel->get(), 0, 0), int64(sel->get(), 0, 1), int64(sel->get(), 0, 2)};
    }
    auto next = decideRenew(name, row, owner, epoch, ttlMs, now);
    if (!next) return next;
    RAMP_TRY_EXEC(up, "UPDATE leases SET expires_at = $2::bigint WHERE name = $1",
                  {name, num(next->expiresAt)});
    return next;
  });
}

Status PostgresStore::releaseLease(const std::string& name, const std::string& owner, int64_t epoch) {
  return inTransaction([&]() -> Status {
    RAMP_TRY_EXEC(up,
                  "UPDATE leases SET owner = '', expires_at = 0 "
                  "WHERE name = $1 AND owner = $2 AND epoch = $3::bigint AND owner <> ''",
                  {name, owner, num(epoch)});
    return ok();
  });
}

Result<std::optional<Lease>> PostgresStore::getLease(const std::string& name) {
  return inSession([&]() -> Result<std::optional<Lease>> {
    RAMP_TRY_EXEC(sel, "SELECT owner, epoch, expires_at FROM leases WHERE name = $1", {name});
    if (PQntuples(sel->get()) == 0 || text(sel->get(), 0, 0).empty()) return std::optional<Lease>();
    return std::optional<Lease>(
        Lease{name, text(sel->get(), 0, 0), int64(sel->get(), 0, 1), int64(sel->get(), 0, 2)});
  });
}

// ---------------------------------------------------------------- audit

Result<AuditEvent> PostgresStore::appendEvent(const AuditEventInput& in) {
  if (in.kind.empty()) return invalid("audit event kind is empty", "kind");
  if (in.actor.empty()) return invalid("audit event actor is empty", "actor");
  auto data = toJsonText(in.data, "audit event " + in.kind + ": data");
  if (!data) return std::unexpected(data.error());
  AuditEvent e;
  static_cast<AuditEventInput&>(e) = in;
  auto reparsed = fromJsonText(*data, "audit event data");
  if (!reparsed) return std::unexpected(reparsed.error());
  e.data = std::move(*reparsed);  // exactly what readers will see and hash
  return inTransaction([&]() -> Result<AuditEvent> {
    // One appender at a time; readers are not blocked.
    RAMP_TRY_EXEC(lk, "LOCK TABLE audit_events IN SHARE ROW EXCLUSIVE MODE");
    RAMP_TRY_EXEC(head, "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1");
    if (PQntuples(head->get()) == 1) {
      e.seq = int64(head->get(), 0, 0) + 1;
      e.prevHash = text(head->get(), 0, 1);
    } else {
      e.seq = 1;
      e.prevHash = kGenesisHash;
    }
    e.hash = hashOf(e);
    RAMP_TRY_EXEC(ins,
                  fmt::format("INSERT INTO audit_events ({}) VALUES ($1::bigint, $2::bigint, $3, $4, "
                              "$5, $6, $7, $8, $9, $10)",
                              kEventCols),
                  {num(e.seq), num(e.time), e.actor, e.kind, e.service, e.env, e.deploymentId, *data,
                   e.prevHash, e.hash});
    return e;
  });
}

Result<std::vector<AuditEvent>> PostgresStore::listEvents(const AuditFilter& f) {
  if (f.limit <= 0) return invalid(fmt::format("limit must be positive, got {}", f.limit), "limit");
  std::string sql = fmt::format("SELECT {} FROM audit_events WHERE true", kEventCols);
  std::vector<Param> args;
  auto cond = [&](const char* col, const char* op, std::string v, const char* cast) {
    args.emplace_back(std::move(v));
    sql += fmt::format(" AND {} {} ${}{}", col, op, args.size(), cast);
  };
  if (f.service) cond("service", "=", *f.service, "");
  if (f.env) cond("env", "=", *f.env, "");
  if (f.deploymentId) cond("deployment_id", "=", *f.deploymentId, "");
  if (f.sinceTime) cond("time", ">=", num(*f.sinceTime), "::bigint");
  if (f.afterSeq) cond("seq", ">", num(*f.afterSeq), "::bigint");
  args.emplace_back(num(f.limit));
  sql += fmt::format(" ORDER BY seq LIMIT ${}::bigint", args.size());
  return inSession([&]() -> Result<std::vector<AuditEvent>> {
    RAMP_TRY_EXEC(r, sql, args);
    std::vector<AuditEvent> out;
    for (int i = 0; i < PQntuples(r->get()); ++i) {
      auto e = readEvent(r->get(), i);
      if (!e) return std::unexpected(e.error());
      out.push_back(std::move(*e));
    }
    return out;
  });
}

// ---------------------------------------------------------------- users, tokens

namespace {
std::optional<std::string> optNum(const std::optional<int64_t>& v) {
  return v ? std::optional<std::string>(std::to_string(*v)) : std::nullopt;
}
}  // namespace

Status PostgresStore::putUser(const UserRecord& u) {
  if (auto c = checkUserRecord(u); !c) return c;
  auto roles = toJsonText(u.roles, "user " + u.name);
  if (!roles) return std::unexpected(roles.error());
  return inTransaction([&]() -> Status {
    RAMP_TRY_EXEC(r,
                  fmt::format("INSERT INTO users ({}) VALUES ($1, $2, $3::bigint, $4, $5::bigint) "
                              "ON CONFLICT (name) DO UPDATE SET roles = excluded.roles, "
                              "disabled = excluded.disabled",
                              kUserCols),
                  {u.name, *roles, num(u.createdAt), u.createdBy, num(u.disabled ? 1 : 0)});
    return ok();
  });
}

Result<UserRecord> PostgresStore::getUser(const std::string& name) {
  return inSession([&]() -> Result<UserRecord> {
    RAMP_TRY_EXEC(r, fmt::format("SELECT {} FROM users WHERE name = $1", kUserCols), {name});
    if (PQntuples(r->get()) == 0) return notFound("no user " + name, "user");
    return readUser(r->get(), 0);
  });
}

Result<std::vector<UserRecord>> PostgresStore::listUsers() {
  return inSession([&]() -> Result<std::vector<UserRecord>> {
    RAMP_TRY_EXEC(r, fmt::format("SELECT {} FROM users ORDER BY name", kUserCols));
    std::vector<UserRecord> out;
    for (int i = 0; i < PQntuples(r->get()); ++i) {
      auto u = readUser(r->get(), i);
      if (!u) return std::unexpected(u.error());
      out.push_back(std::move(*u));
    }
    return out;
  });
}

Status PostgresStore::insertToken(const TokenRecord& t) {
  if (auto c = checkTokenRecord(t); !c) return c;
  return inTransaction([&]() -> Status {
    auto r = exec(fmt::format("INSERT INTO tokens ({}) VALUES ($1, $2, $3, $4, $5::bigint, $6::bigint, "
                              "$7::bigint, $8::bigint)",
                              kTokenCols),
                  {t.id, t.user, t.name, t.sha256, num(t.createdAt), optNum(t.expiresAt), optNum(t.revokedAt),
                   optNum(t.lastUsedAt)});
    if (!r) {
      if (r.error().code == ErrorCode::kConflict) {
        return conflict("a token with this id or this hash already exists", "token " + t.id);
      }
      return std::unexpected(r.error());
    }
    return ok();
  });
}

Result<TokenRecord> PostgresStore::findTokenBySha256(const std::string& sha256) {
  return inSession([&]() -> Result<TokenRecord> {
    RAMP_TRY_EXEC(r, fmt::format("SELECT {} FROM tokens WHERE sha256 = $1", kTokenCols), {sha256});
    if (PQntuples(r->get()) == 0) return notFound("unknown token", "token");
    return readToken(r->get(), 0);
  });
}

Result<std::vector<TokenRecord>> PostgresStore::listTokens(const std::optional<std::string>& user) {
  return inSession([&]() -> Result<std::vector<TokenRecord>> {
    std::string sql = fmt::format("SELECT {} FROM tokens", kTokenCols);
    std::vector<Param> args;
    if (user) {
      sql += " WHERE user_name = $1";
      args.emplace_back(*user);
    }
    sql += " ORDER BY created_at, id";
    RAMP_TRY_EXEC(r, sql, args);
    std::vector<TokenRecord> out;
    for (int i = 0; i < PQntuples(r->get()); ++i) out.push_back(readToken(r->get(), i));
    return out;
  });
}

Result<TokenRecord> PostgresStore::revokeToken(const std::string& id, int64_t now) {
  return inTransaction([&]() -> Result<TokenRecord> {
    RAMP_TRY_EXEC(up, "UPDATE tokens SET revoked_at = $2::bigint WHERE id = $1 AND revoked_at IS NULL",
                  {id, num(now)});
    RAMP_TRY_EXEC(r, fmt::format("SELECT {} FROM tokens WHERE id = $1", kTokenCols), {id});
    if (PQntuples(r->get()) == 0) return notFound("no token " + id, "id");
    return readToken(r->get(), 0);
  });
}

Status PostgresStore::touchToken(const std::string& id, int64_t at) {
  auto r = inTransaction([&]() -> Result<bool> {
    RAMP_TRY_EXEC(up,
                  "UPDATE tokens SET last_used_at = $2::bigint WHERE id = $1 AND "
                  "(last_used_at IS NULL OR last_used_at < $2::bigint)",
                  {id, num(at)});
    RAMP_TRY_EXEC(q, "SELECT 1 FROM tokens WHERE id = $1", {id});
    if (PQntuples(q->get()) == 0) return notFound("no token " + id, "id");
    return true;
  });
  if (!r) return std::unexpected(r.error());
  return ok();
}

// ---------------------------------------------------------------- infrastructure

namespace {

constexpr const char* kInfraStateCols = "project, env, region, lineage, serial, resources_json, updated_at";
constexpr const char* kInfraJournalCols =
    "id, apply_id, project, env, region, address, action, client_token, status, detail_json, at";

Result<InfraStateRecord> readInfraState(const PGresult* r, int i) {
  InfraStateRecord x;
  x.project = text(r, i, 0);
  x.env = text(r, i, 1);
  x.region = text(r, i, 2);
  x.lineage = text(r, i, 3);
  x.serial = int64(r, i, 4);
  auto doc = fromJsonText(text(r, i, 5), "infra state " + x.project + "/" + x.env + "/" + x.region);
  if (!doc) return std::unexpected(doc.error());
  x.resources = std::move(*doc);
  x.updatedAt = int64(r, i, 6);
  return x;
}

Result<InfraJournalRecord> readInfraJournal(const PGresult* r, int i) {
  InfraJournalRecord e;
  e.id = int64(r, i, 0);
  e.applyId = text(r, i, 1);
  e.project = text(r, i, 2);
  e.env = text(r, i, 3);
  e.region = text(r, i, 4);
  e.address = text(r, i, 5);
  e.action = text(r, i, 6);
  e.clientToken = text(r, i, 7);
  e.status = text(r, i, 8);
  auto doc = fromJsonText(text(r, i, 9), fmt::format("infra journal entry {}", e.id));
  if (!doc) return std::unexpected(doc.error());
  e.detail = std::move(*doc);
  e.at = int64(r, i, 10);
  return e;
}

}  // namespace

Result<std::optional<InfraStateRecord>> PostgresStore::getInfraState(const std::string& project,
                                                                     const std::string& env,
                                                                     const std::string& region) {
  return inSession([&]() -> Result<std::optional<InfraStateRecord>> {
    RAMP_TRY_EXEC(r, fmt::format("SELECT {} FROM infra_state WHERE project = $1 AND env = $2 AND region = $3",
                                 kInfraStateCols),
                  {project, env, region});
    if (PQntuples(r->get()) == 0) return std::optional<InfraStateRecord>();
    auto x = readInfraState(r->get(), 0);
    if (!x) return std::unexpected(x.error());
    return std::optional<InfraStateRecord>(std::move(*x));
  });
}

Status PostgresStore::putInfraState(InfraStateRecord& rec, int64_t expectedSerial) {
  if (auto c = checkInfraStateWrite(rec, expectedSerial); !c) return c;
  auto doc = toJsonText(rec.resources,
                        "infra state " + rec.project + "/" + rec.env + "/" + rec.region + ": resources");
  if (!doc) return std::unexpected(doc.error());
  return inTransaction([&]() -> Status {
    RAMP_TRY_EXEC(sel,
                  "SELECT lineage, serial FROM infra_state WHERE project = $1 AND env = $2 AND region = $3 "
                  "FOR UPDATE",
                  {rec.project, rec.env, rec.region});
    std::optional<std::pair<std::string, int64_t>> current;
    if (PQntuples(sel->get()) == 1) current = std::make_pair(text(sel->get(), 0, 0), int64(sel->get(), 0, 1));
    if (auto c = decideInfraStateWrite(rec, expectedSerial, current); !c) return c;
    const std::string next = num(expectedSerial + 1);
    if (!current) {
      RAMP_TRY_EXEC(ins,
                    fmt::format("INSERT INTO infra_state ({}) VALUES ($1, $2, $3, $4, $5::bigint, $6, "
                                "$7::bigint) ON CONFLICT (project, env, region) DO NOTHING",
                                kInfraStateCols),
                    {rec.project, rec.env, rec.region, rec.lineage, next, *doc, num(rec.updatedAt)});
      if (std::strcmp(PQcmdTuples(ins->get()), "1") != 0) {
        return conflict("state was written by someone else at the same time (expected no state yet)",
                        fmt::format("infra state {}/{}/{}", rec.project, rec.env,
                                    rec.region.empty() ? "global" : rec.region));
      }
    } else {
      RAMP_TRY_EXEC(up,
                    "UPDATE infra_state SET serial = $4::bigint, resources_json = $5, updated_at = $6::bigint "
                    "WHERE project = $1 AND env = $2 AND region = $3",
                    {rec.project, rec.env, rec.region, next, *doc, num(rec.updatedAt)});
    }
    rec.serial = expectedSerial + 1;
    return ok();
  });
}

Result<std::vector<InfraStateRecord>> PostgresStore::listInfraStates(const std::string& project,
                                                                     const std::string& env) {
  return inSession([&]() -> Result<std::vector<InfraStateRecord>> {
    RAMP_TRY_EXEC(r, fmt::format("SELECT {} FROM infra_state WHERE project = $1 AND env = $2 "
                                 "ORDER BY region COLLATE \"C\"",
                                 kInfraStateCols),
                  {project, env});
    std::vector<InfraStateRecord> out;
    for (int i = 0; i < PQntuples(r->get()); ++i) {
      auto x = readInfraState(r->get(), i);
      if (!x) return std::unexpected(x.error());
      out.push_back(std::move(*x));
    }
    return out;
  });
}

Result<int64_t> PostgresStore::appendInfraJournal(const InfraJournalRecord& e) {
  if (auto c = checkInfraJournalEntry(e); !c) return std::unexpected(c.error());
  auto doc = toJsonText(e.detail, "infra journal " + e.address + ": detail");
  if (!doc) return std::unexpected(doc.error());
  return inTransaction([&]() -> Result<int64_t> {
    RAMP_TRY_EXEC(ins,
                  "INSERT INTO infra_journal (apply_id, project, env, region, address, action, client_token, "
                  "status, detail_json, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::bigint) "
                  "RETURNING id",
                  {e.applyId, e.project, e.env, e.region, e.address, e.action, e.clientToken, e.status, *doc,
                   num(e.at)});
    if (PQntuples(ins->get()) != 1) return internal("infra journal insert returned no id");
    return int64(ins->get(), 0, 0);
  });
}

Status PostgresStore::updateInfraJournal(int64_t id, const std::string& status, const Json& detail,
                                         int64_t at) {
  if (status.empty()) return invalid("infra journal status is empty", "status");
  auto doc = toJsonText(detail, fmt::format("infra journal entry {}: detail", id));
  if (!doc) return std::unexpected(doc.error());
  return inTransaction([&]() -> Status {
    RAMP_TRY_EXEC(up, "UPDATE infra_journal SET status = $2, detail_json = $3, at = $4::bigint WHERE id = $1::bigint",
                  {num(id), status, *doc, num(at)});
    if (std::strcmp(PQcmdTuples(up->get()), "1") != 0) {
      return notFound(fmt::format("no infra journal entry {}", id), fmt::format("infra journal {}", id));
    }
    return ok();
  });
}

Result<std::vector<InfraJournalRecord>> PostgresStore::listInfraJournal(
    const std::string& project, const std::string& env, bool openOnly,
    const std::optional<std::string>& applyId) {
  return inSession([&]() -> Result<std::vector<InfraJournalRecord>> {
    std::string sql = fmt::format("SELECT {} FROM infra_journal WHERE project = $1 AND env = $2", kInfraJournalCols);
    std::vector<Param> args{project, env};
    if (openOnly) sql += " AND status = 'intent'";
    if (applyId) {
      sql += " AND apply_id = $3";
      args.emplace_back(*applyId);
    }
    sql += " ORDER BY id";
    RAMP_TRY_EXEC(r, sql, args);
    std::vector<InfraJournalRecord> out;
    for (int i = 0; i < PQntuples(r->get()); ++i) {
      auto x = readInfraJournal(r->get(), i);
      if (!x) return std::unexpected(x.error());
      out.push_back(std::move(*x));
    }
    return out;
  });
}

// ---------------------------------------------------------------- settings

Result<std::optional<std::string>> PostgresStore::getSetting(const std::string& key) {
  return inSession([&]() -> Result<std::optional<std::string>> {
    RAMP_TRY_EXEC(r, "SELECT value FROM settings WHERE key = $1", {key});
    if (PQntuples(r->get()) == 0) return std::optional<std::string>();
    return std::optional<std::string>(text(r->get(), 0, 0));
  });
}

Status PostgresStore::putSetting(const std::string& key, const std::string& value,
                                 const std::optional<Fence>& fence) {
  if (key.empty()) return invalid("setting key is empty", "key");
  return inTransaction([&]() -> Status {
    if (auto f = checkFenceLocked(fence); !f) return f;
    RAMP_TRY_EXEC(r,
                  "INSERT INTO settings (key, value) VALUES ($1, $2) "
                  "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                  {key, value});
    return ok();
  });
}

Result<std::string> PostgresStore::putSettingIfAbsent(const std::string& key, const std::string& value) {
  if (key.empty()) return invalid("setting key is empty", "key");
  return inTransaction([&]() -> Result<std::string> {
    RAMP_TRY_EXEC(ins, "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                  {key, value});
    RAMP_TRY_EXEC(sel, "SELECT value FROM settings WHERE key = $1", {key});
    if (PQntuples(sel->get()) != 1) return internal("setting vanished during putSettingIfAbsent");
    return text(sel->get(), 0, 0);
  });
}

Status PostgresStore::truncateAllForTests() {
  return inTransaction([&]() -> Status {
    return execScript("TRUNCATE releases, deployments, fleets, leases, audit_events, settings, users, tokens, "
                      "infra_state, infra_journal",
                      "truncating");
  });
}

// ------------------------------------------------------ config of record

namespace {

Result<ConfigVersionRecord> readConfigVersion(const PGresult* r, int i) {
  ConfigVersionRecord x;
  x.version = int64(r, i, 0);
  x.state = text(r, i, 1);
  x.baseVersion = int64(r, i, 2);
  x.digest = text(r, i, 3);
  x.pushedBy = text(r, i, 4);
  x.pushedAt = int64(r, i, 5);
  x.revision = int64(r, i, 6);
  x.updatedAt = int64(r, i, 7);
  auto doc = fromJsonText(text(r, i, 8), fmt::format("config version {}", x.version));
  if (!doc) return std::unexpected(doc.error());
  if (auto a = applyDoc(x, *doc); !a) return std::unexpected(a.error());
  return x;
}

}  // namespace

// Writers take the table lock first (one writer at a time, readers not
// blocked): numbering (MAX + 1) and "which version is in force" are then
// decided on what no one else is changing.
Status PostgresStore::appendConfigVersion(ConfigVersionRecord& r) {
  if (auto c = checkConfigVersion(r); !c) return c;
  auto doc = toJsonText(docOf(r), "config version");
  if (!doc) return std::unexpected(doc.error());
  return inTransaction([&]() -> Status {
    RAMP_TRY_EXEC(lk, "LOCK TABLE config_versions IN SHARE ROW EXCLUSIVE MODE");
    RAMP_TRY_EXEC(cur, "SELECT version FROM config_versions WHERE state = 'in_force'");
    int64_t inForce = PQntuples(cur->get()) == 1 ? int64(cur->get(), 0, 0) : 0;
    RAMP_TRY_EXEC(mx, "SELECT COALESCE(MAX(version), 0) + 1 FROM config_versions");
    int64_t next = int64(mx->get(), 0, 0);
    if (auto d = decideAppend(r, inForce); !d) return d;
    if (r.state == "in_force" && inForce != 0) {
      RAMP_TRY_EXEC(up, "UPDATE config_versions SET state = 'superseded', updated_at = $2::bigint WHERE version = $1::bigint",
                    {num(inForce), num(r.updatedAt)});
    }
    RAMP_TRY_EXEC(ins,
                  fmt::format("INSERT INTO config_versions ({}) VALUES ($1::bigint, $2, $3::bigint, $4, $5, "
                              "$6::bigint, 1, $7::bigint, $8)",
                              kConfigVersionCols),
                  {num(next), r.state, num(r.baseVersion), r.digest, r.pushedBy, num(r.pushedAt), num(r.updatedAt),
                   *doc});
    r.version = next;
    r.revision = 1;
    return ok();
  });
}

Status PostgresStore::updateConfigVersion(ConfigVersionRecord& r) {
  if (auto c = checkConfigVersion(r); !c) return c;
  auto doc = toJsonText(docOf(r), fmt::format("config version {}", r.version));
  if (!doc) return std::unexpected(doc.error());
  return inTransaction([&]() -> Status {
    RAMP_TRY_EXEC(lk, "LOCK TABLE config_versions IN SHARE ROW EXCLUSIVE MODE");
    RAMP_TRY_EXEC(sel, "SELECT state, revision FROM config_versions WHERE version = $1::bigint", {num(r.version)});
    if (PQntuples(sel->get()) == 0) return notFound(fmt::format("no config version {}", r.version), "version");
    std::string state = text(sel->get(), 0, 0);
    int64_t revision = int64(sel->get(), 0, 1);
    RAMP_TRY_EXEC(cur, "SELECT version FROM config_versions WHERE state = 'in_force'");
    int64_t inForce = PQntuples(cur->get()) == 1 ? int64(cur->get(), 0, 0) : 0;
    if (auto d = decideUpdate(r, state, revision, inForce); !d) return d;
    if (r.state == "in_force" && inForce != 0) {
      RAMP_TRY_EXEC(up, "UPDATE config_versions SET state = 'superseded', updated_at = $2::bigint WHERE version = $1::bigint",
                    {num(inForce), num(r.updatedAt)});
    }
    RAMP_TRY_EXEC(up2,
                  "UPDATE config_versions SET state = $2, revision = revision + 1, updated_at = $3::bigint, doc = $4 "
                  "WHERE version = $1::bigint",
                  {num(r.version), r.state, num(r.updatedAt), *doc});
    r.revision = revision + 1;
    return ok();
  });
}

Result<ConfigVersionRecord> PostgresStore::getConfigVersion(int64_t version) {
  return inSession([&]() -> Result<ConfigVersionRecord> {
    RAMP_TRY_EXEC(r, fmt::format("SELECT {} FROM config_versions WHERE version = $1::bigint", kConfigVersionCols),
                  {num(version)});
    if (PQntuples(r->get()) == 0) return notFound(fmt::format("no config version {}", version), "version");
    return readConfigVersion(r->get(), 0);
  });
}

Result<std::optional<ConfigVersionRecord>> PostgresStore::configVersionInForce() {
  return inSession([&]() -> Result<std::optional<ConfigVersionRecord>> {
    RAMP_TRY_EXEC(r, fmt::format("SELECT {} FROM config_versions WHERE state = 'in_force'", kConfigVersionCols));
    if (PQntuples(r->get()) == 0) return std::optional<ConfigVersionRecord>();
    auto x = readConfigVersion(r->get(), 0);
    if (!x) return std::unexpected(x.error());
    return std::optional<ConfigVersionRecord>(std::move(*x));
  });
}

Result<std::vector<ConfigVersionRecord>> PostgresStore::listConfigVersions(const std::vector<std::string>& states,
                                                                           int limit) {
  return inSession([&]() -> Result<std::vector<ConfigVersionRecord>> {
    std::string sql = fmt::format("SELECT {} FROM config_versions", kConfigVersionCols);
    std::vector<Param> args;
    if (!states.empty()) {
      std::string in;
      for (const auto& s : states) {
        args.emplace_back(s);
        in += (in.empty() ? "$" : ", $") + std::to_string(args.size());
      }
      sql += " WHERE state IN (" + in + ")";
    }
    args.emplace_back(num(std::max(limit, 0)));
    sql += " ORDER BY version DESC LIMIT $" + std::to_string(args.size()) + "::bigint";
    RAMP_TRY_EXEC(r, sql, args);
    std::vector<ConfigVersionRecord> out;
    for (int i = 0; i < PQntuples(r->get()); ++i) {
      auto x = readConfigVersion(r->get(), i);
      if (!x) return std::unexpected(x.error());
      out.push_back(std::move(*x));
    }
    return out;
  });
}

}  // namespace ramp::store
