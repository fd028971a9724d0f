#include "store/SqliteStore.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <variant>

#include <fmt/format.h>

#include "store/AuditChain.h"
#include "store/IdentityRows.h"
#include "store/InfraRows.h"
#include "store/JsonText.h"
#include "store/LeaseRules.h"
#include "store/ConfigVersionRows.h"
#include "store/Migrations.h"

namespace ramp::store {

namespace {

using Value = std::variant<std::monostate, int64_t, std::string>;

// One use of a cached prepared statement: bind, step, read; reset on exit.
class Stmt {
 public:
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  ~Stmt() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, const std::string& v) {
    sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    return *this;
  }
  Stmt& bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& bind(int i, const Value& v) {
    if (auto* n = std::get_if<int64_t>(&v)) return bind(i, *n);
    if (auto* s = std::get_if<std::string>(&v)) return bind(i, *s);
    sqlite3_bind_null(s_, i);
    return *this;
  }
  int step() { return sqlite3_step(s_); }
  std::string text(int c) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, c));
    int n = sqlite3_column_bytes(s_, c);
    return p ? std::string(p, static_cast<size_t>(n)) : std::string();
  }
  int64_t int64(int c) { return sqlite3_column_int64(s_, c); }
  std::optional<int64_t> optInt64(int c) {
    if (sqlite3_column_type(s_, c) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_int64(s_, c);
  }

 private:
  sqlite3_stmt* s_;
};

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

Result<ReleaseRecord> readRelease(Stmt& st) {
  ReleaseRecord r;
  r.service = st.text(0);
  r.version = st.text(1);
  r.digest = st.text(2);
  r.createdBy = st.text(3);
  r.createdAt = st.int64(4);
  auto doc = fromJsonText(st.text(5), "release " + r.service + "@" + r.version);
  if (!doc) return std::unexpected(doc.error());
  r.doc = std::move(*doc);
  return r;
}

Result<DeploymentRecord> readDeployment(Stmt& st) {
  DeploymentRecord d;
  d.id = st.text(0);
  d.service = st.text(1);
  d.env = st.text(2);
  d.state = st.text(3);
  d.createdAt = st.int64(4);
  d.updatedAt = st.int64(5);
  d.revision = st.int64(6);
  auto doc = fromJsonText(st.text(7), "deployment " + d.id);
  if (!doc) return std::unexpected(doc.error());
  d.doc = std::move(*doc);
  return d;
}

Result<FleetRecord> readFleet(Stmt& st) {
  FleetRecord f;
  f.id = st.text(0);
  f.service = st.text(1);
  f.env = st.text(2);
  f.region = st.text(3);
  f.version = st.text(4);
  f.digest = st.text(5);
  f.state = st.text(6);
  f.createdAt = st.int64(7);
  f.updatedAt = st.int64(8);
  f.revision = st.int64(9);
  auto doc = fromJsonText(st.text(10), "fleet " + f.id);
  if (!doc) return std::unexpected(doc.error());
  f.doc = std::move(*doc);
  return f;
}

Result<UserRecord> readUser(Stmt& st) {
  UserRecord u;
  u.name = st.text(0);
  auto roles = fromJsonText(st.text(1), "user " + u.name);
  if (!roles) return std::unexpected(roles.error());
  u.roles = std::move(*roles);
  u.createdAt = st.int64(2);
  u.createdBy = st.text(3);
  u.disabled = st.int64(4) != 0;
  return u;
}

TokenRecord readToken(Stmt& st) {
  TokenRecord t;
  t.id = st.text(0);
  t.user = st.text(1);
  t.name = st.text(2);
  t.sha256 = st.text(3);
  t.createdAt = st.int64(4);
  t.expiresAt = st.optInt64(5);
  t.revokedAt = st.optInt64(6);
  t.lastUsedAt = st.optInt64(7);
  return t;
}

Value opt(const std::optional<int64_t>& v) { return v ? Value(*v) : Value(); }

Result<AuditEvent> readEvent(Stmt& st) {
  AuditEvent e;
  e.seq = st.int64(0);
  e.time = st.int64(1);
  e.actor = st.text(2);
  e.kind = st.text(3);
  e.service = st.text(4);
  e.env = st.text(5);
  e.deploymentId = st.text(6);
  auto data = fromJsonText(st.text(7), fmt::format("audit event {}", e.seq));
  if (!data) return std::unexpected(data.error());
  e.data = std::move(*data);
  e.prevHash = st.text(8);
  e.hash = st.text(9);
  return e;
}

}  // namespace

// ---------------------------------------------------------------- plumbing

SqliteStore::SqliteStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

SqliteStore::~SqliteStore() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path) {
  namespace fs = std::filesystem;
  const std::string where = "store " + path;
  std::error_code ec;
  fs::path p(path);
  fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec)) {
    return invalid(fmt::format("cannot open SQLite store: directory '{}' does not exist", dir.string()),
                   where);
  }
  if (fs::is_directory(p, ec)) {
    return invalid("cannot open SQLite store: the path is a directory, not a file", where);
  }
  // Create the file ourselves so that it (and the -wal/-shm files SQLite
  // derives from it) is private to this user.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return unavailable(fmt::format("cannot open SQLite store: {}", std::strerror(errno)), where);
  }
  ::close(fd);

  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return unavailable(fmt::format("cannot open SQLite store: {}", msg), where);
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 10'000);
  std::unique_ptr<SqliteStore> store(new SqliteStore(db, path));

  {
    std::lock_guard lock(store->mu_);
    auto st = store->prepare("PRAGMA journal_mode=WAL");
    if (!st) return std::unexpected(st.error());
    Stmt s(*st);
    rc = s.step();
    if (rc != SQLITE_ROW) return std::unexpected(store->sqlError(rc, "enabling WAL"));
    if (s.text(0) != "wal") {
      return unavailable(fmt::format("cannot enable WAL journal (got '{}')", s.text(0)), where);
    }
  }
  if (auto st = store->execScript("PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;", "pragmas"); !st) {
    return std::unexpected(st.error());
  }
  return store;
}

Error SqliteStore::sqlError(int rc, const std::string& what) const {
  std::string msg = fmt::format("{}: {}", what, db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
  ErrorCode code = ErrorCode::kInternal;
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      code = ErrorCode::kUnavailable;
      msg += " (another process holds the database; gave up after the busy timeout)";
      break;
    case SQLITE_CONSTRAINT:
      code = ErrorCode::kConflict;
      break;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_FULL:
    case SQLITE_IOERR:
      code = ErrorCode::kUnavailable;
      break;
    default:
      break;
  }
  return Error{code, msg, "store " + path_};
}

Result<sqlite3_stmt*> SqliteStore::prepare(const std::string& sql) {
  if (auto it = statements_.find(sql); it != statements_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return std::unexpected(sqlError(rc, "preparing statement"));
  }
  statements_.emplace(sql, stmt);
  return stmt;
}

Status SqliteStore::execScript(const char* sql, const char* what) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    Error e = sqlError(rc, what);
    if (err) {
      e.message = fmt::format("{}: {}", what, err);
      sqlite3_free(err);
    }
    return std::unexpected(e);
  }
  return ok();
}

// Runs body inside BEGIN IMMEDIATE ... COMMIT under the mutex; rolls back
// when body returns an error or the commit fails.
template <class Body>
auto SqliteStore::inWriteTransaction(Body&& body) -> decltype(body()) {
  std::lock_guard lock(mu_);
  if (auto st = execScript("BEGIN IMMEDIATE", "beginning a write transaction"); !st) {
    return std::unexpected(st.error());
  }
  auto result = body();
  if (!result) {
    execScript("ROLLBACK", "rolling back");
    return result;
  }
  if (auto st = execScript("COMMIT", "committing"); !st) {
    execScript("ROLLBACK", "rolling back");
    return std::unexpected(st.error());
  }
  return result;
}

#define RAMP_TRY_STMT(var, sql)                           \
  auto var##_prepared = prepare(sql);                     \
  if (!var##_prepared) return std::unexpected(var##_prepared.error()); \
  Stmt var(*var##_prepared)

// Reads the lease row (used inside write transactions).
#define RAMP_READ_LEASE(out, name)                                                      \
  std::optional<LeaseRow> out;                                                          \
  {                                                                                     \
    RAMP_TRY_STMT(ls, "SELECT owner, epoch, expires_at FROM leases WHERE name = ?1");   \
    ls.bind(1, name);                                                                   \
    int lrc = ls.step();                                                                \
    if (lrc == SQLITE_ROW) out = LeaseRow{ls.text(0), ls.int64(1), ls.int64(2)};        \
    else if (lrc != SQLITE_DONE) return std::unexpected(sqlError(lrc, "reading lease")); \
  }

#define RAMP_CHECK_FENCE(fence)                                           \
  if (fence) {                                                            \
    RAMP_READ_LEASE(fenceRow, fence->lease);                              \
    if (auto fst = checkFence(*fence, fenceRow); !fst) return std::unexpected(fst.error()); \
  }

// ---------------------------------------------------------------- migrations

Status SqliteStore::migrate() {
  for (const Migration& m : migrations()) {
    auto st = inWriteTransaction([&]() -> Status {
      if (auto t = execScript(kSqliteMigrationsTable, "creating schema_migrations"); !t) return t;
      RAMP_TRY_STMT(mx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
      int rc = mx.step();
      if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "reading schema version"));
      int64_t current = mx.int64(0);
      if (current > latestSchemaVersion()) {
        return failedPrecondition(fmt::format(
            "database schema version {} is newer than this ramp knows ({}); upgrade ramp",
            current, latestSchemaVersion()), "store " + path_);
      }
      RAMP_TRY_STMT(has, "SELECT 1 FROM schema_migrations WHERE version = ?1");
      has.bind(1, int64_t{m.version});
      rc = has.step();
      if (rc == SQLITE_ROW) return ok();
      if (rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "reading schema_migrations"));
      if (auto t = execScript(m.sqlite.c_str(),
                              fmt::format("migration {} ({})", m.version, m.name).c_str());
          !t) {
        return t;
      }
      RAMP_TRY_STMT(ins, "INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)");
      ins.bind(1, int64_t{m.version}).bind(2, m.name);
      rc = ins.step();
      if (rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "recording migration"));
      return ok();
    });
    if (!st) return st;
  }
  return ok();
}

Result<int> SqliteStore::schemaVersion() {
  std::lock_guard lock(mu_);
  RAMP_TRY_STMT(t, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
  int rc = t.step();
  if (rc == SQLITE_DONE) return 0;
  if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "reading schema version"));
  RAMP_TRY_STMT(mx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  rc = mx.step();
  if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "reading schema version"));
  return static_cast<int>(mx.int64(0));
}

// ---------------------------------------------------------------- releases

Status SqliteStore::putRelease(const ReleaseRecord& r) {
  if (r.service.empty()) return invalid("release service is empty", "service");
  if (r.version.empty()) return invalid("release version is empty", "version");
  if (r.digest.empty()) return invalid("release digest is empty", "digest");
  auto doc = toJsonText(r.doc, "doc");
  if (!doc) return std::unexpected(doc.error());
  return inWriteTransaction([&]() -> Status {
    RAMP_TRY_STMT(ins, fmt::format("INSERT INTO releases ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                                   "ON CONFLICT (service, version) DO NOTHING",
                                   kReleaseCols));
    ins.bind(1, r.service).bind(2, r.version).bind(3, r.digest).bind(4, r.createdBy)
        .bind(5, r.createdAt).bind(6, *doc);
    int rc = ins.step();
    if (rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "inserting release"));
    if (sqlite3_changes(db_) == 1) return ok();
    RAMP_TRY_STMT(sel, "SELECT digest FROM releases WHERE service = ?1 AND version = ?2");
    sel.bind(1, r.service).bind(2, r.version);
    rc = sel.step();
    if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "reading release"));
    std::string existing = sel.text(0);
    if (existing == r.digest) return ok();
    return conflict(fmt::format("release {} {} already exists with digest {}; releases are "
                                "immutable (refusing digest {})",
                                r.service, r.version, existing, r.digest),
                    "release " + r.service + "@" + r.version);
  });
}

Result<ReleaseRecord> SqliteStore::getRelease(const std::string& service, const std::string& version) {
  std::lock_guard lock(mu_);
  RAMP_TRY_STMT(st, fmt::format("SELECT {} FROM releases WHERE service = ?1 AND version = ?2",
                                kReleaseCols));
  st.bind(1, service).bind(2, version);
  int rc = st.step();
  if (rc == SQLITE_DONE) {
    return notFound(fmt::format("no release {} {}", service, version), "release " + service + "@" + version);
  }
  if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "reading release"));
  return readRelease(st);
}

Result<std::vector<ReleaseRecord>> SqliteStore::listReleases(const std::optional<std::string>& service) {
  std::lock_guard lock(mu_);
  RAMP_TRY_STMT(st, fmt::format("SELECT {} FROM releases WHERE (?1 IS NULL OR service = ?1) "
                                "ORDER BY service, created_at, version",
                                kReleaseCols));
  st.bind(1, service ? Value(*service) : Value());
  std::vector<ReleaseRecord> out;
  for (;;) {
    int rc = st.step();
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "listing releases"));
    auto r = readRelease(st);
    if (!r) return std::unexpected(r.error());
    out.push_back(std::move(*r));
  }
  return out;
}

// ---------------------------------------------------------------- deployments

Status SqliteStore::insertDeployment(DeploymentRecord& d, const std::optional<Fence>& fence) {
  if (d.id.empty()) return invalid("deployment id is empty", "id");
  auto doc = toJsonText(d.doc, "deployment " + d.id + ": doc");
  if (!doc) return std::unexpected(doc.error());
  return inWriteTransaction([&]() -> Status {
    RAMP_CHECK_FENCE(fence);
    RAMP_TRY_STMT(ins, fmt::format("INSERT INTO deployments ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7) "
                                   "ON CONFLICT (id) DO NOTHING",
                                   kDeploymentCols));
    ins.bind(1, d.id).bind(2, d.service).bind(3, d.env).bind(4, d.state).bind(5, d.createdAt)
        .bind(6, d.updatedAt).bind(7, *doc);
    int rc = ins.step();
    if (rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "inserting deployment"));
    if (sqlite3_changes(db_) != 1) {
      return conflict(fmt::format("deployment {} already exists", d.id), "deployment " + d.id);
    }
    d.revision = 1;
    return ok();
  });
}

Status SqliteStore::updateDeployment(DeploymentRecord& d, const std::optional<Fence>& fence) {
  if (d.id.empty()) return invalid("deployment id is empty", "id");
  auto doc = toJsonText(d.doc, "deployment " + d.id + ": doc");
  if (!doc) return std::unexpected(doc.error());
  return inWriteTransaction([&]() -> Status {
    RAMP_CHECK_FENCE(fence);
    RAMP_TRY_STMT(up, "UPDATE deployments SET service = ?2, env = ?3, state = ?4, updated_at = ?5, "
                      "doc = ?6, revision = revision + 1 WHERE id = ?1 AND revision = ?7");
    up.bind(1, d.id).bind(2, d.service).bind(3, d.env).bind(4, d.state).bind(5, d.updatedAt)
        .bind(6, *doc).bind(7, d.revision);
    int rc = up.step();
    if (rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "updating deployment"));
    if (sqlite3_changes(db_) == 1) {
      ++d.revision;
      return ok();
    }
    RAMP_TRY_STMT(sel, "SELECT revision FROM deployments WHERE id = ?1");
    sel.bind(1, d.id);
    rc = sel.step();
    if (rc == SQLITE_DONE) return notFound(fmt::format("no deployment {}", d.id), "deployment " + d.id);
    if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "reading deployment"));
    return conflict(fmt::format("deployment {} was changed by someone else: it is at revision {}, "
                                "this update was based on revision {}",
                                d.id, sel.int64(0), d.revision),
                    "deployment " + d.id);
  });
}

Result<DeploymentRecord> SqliteStore::getDeployment(const std::string& id) {
  std::lock_guard lock(mu_);
  RAMP_TRY_STMT(st, fmt::format("SELECT {} FROM deployments WHERE id = ?1", kDeploymentCols));
  st.bind(1, id);
  int rc = st.step();
  if (rc == SQLITE_DONE) return notFound(fmt::format("no deployment {}", id), "deployment " + id);
  if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "reading deployment"));
  return readDeployment(st);
}

Result<std::vector<DeploymentRecord>> SqliteStore::listDeployments(const DeploymentFilter& f) {
  if (f.limit <= 0) return invalid(fmt::format("limit must be positive, got {}", f.limit), "limit");
  std::string sql = fmt::format("SELECT {} FROM deployments WHERE 1 = 1", kDeploymentCols);
  std::vector<Value> args;
  if (f.service) {
    args.emplace_back(*f.service);
    sql += fmt::format(" AND service = ?{}", args.size());
  }
  if (f.env) {
    args.emplace_back(*f.env);
    sql += fmt::format(" AND env = ?{}", args.size());
  }
  if (f.activeOnly) sql += " AND state IN ('queued', 'running', 'paused', 'awaiting_approval')";
  args.emplace_back(int64_t{f.limit});
  sql += fmt::format(" ORDER BY created_at DESC, id DESC LIMIT ?{}", args.size());

  std::lock_guard lock(mu_);
  RAMP_TRY_STMT(st, sql);
  for (size_t i = 0; i < args.size(); ++i) st.bind(static_cast<int>(i + 1), args[i]);
  std::vector<DeploymentRecord> out;
  for (;;) {
    int rc = st.step();
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "listing deployments"));
    auto d = readDeployment(st);
    if (!d) return std::unexpected(d.error());
    out.push_back(std::move(*d));
  }
  return out;
}

// ---------------------------------------------------------------- fleets

Status SqliteStore::putFleet(FleetRecord& f, const std::optional<Fence>& fence) {
  if (f.id.empty()) return invalid("fleet id is empty", "id");
  if (f.revision < 0) return invalid(fmt::format("fleet {}: negative revision {}", f.id, f.revision), "revision");
  auto doc = toJsonText(f.doc, "fleet " + f.id + ": doc");
  if (!doc) return std::unexpected(doc.error());
  return inWriteTransaction([&]() -> Status {
    RAMP_CHECK_FENCE(fence);
    if (f.revision == 0) {
      RAMP_TRY_STMT(ins, fmt::format("INSERT INTO fleets ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                                     "?9, 1, ?10) ON CONFLICT (id) DO NOTHING",
                                     kFleetCols));
      ins.bind(1, f.id).bind(2, f.service).bind(3, f.env).bind(4, f.region).bind(5, f.version)
          .bind(6, f.digest).bind(7, f.state).bind(8, f.createdAt).bind(9, f.updatedAt).bind(10, *doc);
      int rc = ins.step();
      if (rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "inserting fleet"));
      if (sqlite3_changes(db_) != 1) {
        return conflict(fmt::format("fleet {} already exists (insert with revision 0)", f.id),
                        "fleet " + f.id);
      }
      f.revision = 1;
      return ok();
    }
    RAMP_TRY_STMT(up, "UPDATE fleets SET service = ?2, env = ?3, region = ?4, version = ?5, digest = ?6, "
                      "state = ?7, updated_at = ?8, doc = ?9, revision = revision + 1 "
                      "WHERE id = ?1 AND revision = ?10");
    up.bind(1, f.id).bind(2, f.service).bind(3, f.env).bind(4, f.region).bind(5, f.version)
        .bind(6, f.digest).bind(7, f.state).bind(8, f.updatedAt).bind(9, *doc).bind(10, f.revision);
    int rc = up.step();
    if (rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "updating fleet"));
    if (sqlite3_changes(db_) == 1) {
      ++f.revision;
      return ok();
    }
    RAMP_TRY_STMT(sel, "SELECT revision FROM fleets WHERE id = ?1");
    sel.bind(1, f.id);
    rc = sel.step();
    if (rc == SQLITE_DONE) return notFound(fmt::format("no fleet {}", f.id), "fleet " + f.id);
    if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "reading fleet"));
    return conflict(fmt::format("fleet {} was changed by someone else: it is at revision {}, this "
                                "update was based on revision {}",
                                f.id, sel.int64(0), f.revision),
                    "fleet " + f.id);
  });
}

Result<FleetRecord> SqliteStore::getFleet(const std::string& id) {
  std::lock_guard lock(mu_);
  RAMP_TRY_STMT(st, fmt::format("SELECT {} FROM fleets WHERE id = ?1", kFleetCols));
  st.bind(1, id);
  int rc = st.step();
  if (rc == SQLITE_DONE) return notFound(fmt::format("no fleet {}", id), "fleet " + id);
  if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "reading fleet"));
  return readFleet(st);
}

Result<std::vector<FleetRecord>> SqliteStore::listFleets(const std::optional<std::string>& service,
                                                         const std::optional<std::string>& env,
                                                         bool includeRetired) {
  std::string sql = fmt::format("SELECT {} FROM fleets WHERE 1 = 1", kFleetCols);
  std::vector<Value> args;
  if (service) {
    args.emplace_back(*service);
    sql += fmt::format(" AND service = ?{}", args.size());
  }
  if (env) {
    args.emplace_back(*env);
    sql += fmt::format(" AND env = ?{}", args.size());
  }
  if (!includeRetired) sql += " AND state <> 'retired'";
  sql += " ORDER BY created_at, id";
  std::lock_guard lock(mu_);
  RAMP_TRY_STMT(st, sql);
  for (size_t i = 0; i < args.size(); ++i) st.bind(static_cast<int>(i + 1), args[i]);
  std::vector<FleetRecord> out;
  for (;;) {
    int rc = st.step();
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "listing fleets"));
    auto f = readFleet(st);
    if (!f) return std::unexpected(f.error());
    out.push_back(std::move(*f));
  }
  return out;
}

// ---------------------------------------------------------------- leases

Result<Lease> SqliteStore::acquireLease(const std::string& name, const std::string& owner,
                                        int64_t ttlMs, int64_t now) {
  if (auto v = validateLeaseRequest(name, owner, ttlMs); !v) return std::unexpected(v.error());
  return inWriteTransaction([&]() -> Result<Lease> {
    RAMP_READ_LEASE(row, name);
    auto next = decideAcquire(name, row.value_or(LeaseRow{}), owner, ttlMs, now);
    if (!next) return next;
    RAMP_TRY_STMT(up, "INSERT INTO leases (name, owner, epoch, expires_at) VALUES (?1, ?2, ?3, ?4) "
                      "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, "
                      "epoch = excluded.epoch, expires_at = excluded.expires_at");
    up.bind(1, name).bind(2, next->owner).bind(3, next->epoch).bind(4, next->expiresAt);
    int rc = up.step();
    if (rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "writing lease"));
    return next;
  });
}

Result<Lease> SqliteStore::renewLease(const std::string& name, const std::string& owner, int64_t epoch,
                                      int64_t ttlMs, int64_t now) {
  if (auto v = validateLeaseRequest(name, owner, ttlMs); !v) return std::unexpected(v.error());
  return inWriteTransaction([&]() -> Result<Lease> {
    RAMP_READ_LEASE(row, name);
    auto next = decideRenew(name, row, owner, epoch, ttlMs, now);
    if (!next) return next;
    RAMP_TRY_STMT(up, "UPDATE leases SET expires_at = ?2 WHERE name = ?1");
    up.bind(1, name).bind(2, next->expiresAt);
    int rc = up.step();
    if (rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "renewing lease"));
    return next;
  });
}

Status SqliteStore::releaseLease(const std::string& name, const std::string& owner, int64_t epoch) {
  return inWriteTransaction([&]() -> Status {
    RAMP_TRY_STMT(up, "UPDATE leases SET owner = '', expires_at = 0 "
                      "WHERE name = ?1 AND owner = ?2 AND epoch = ?3 AND owner <> ''");
    up.bind(1, name).bind(2, owner).bind(3, epoch);
    int rc = up.step();
    if (rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "releasing lease"));
    return ok();
  });
}

Result<std::optional<Lease>> SqliteStore::getLease(const std::string& name) {
  std::lock_guard lock(mu_);
  RAMP_READ_LEASE(row, name);
  if (!row || row->owner.empty()) return std::optional<Lease>();
  return std::optional<Lease>(Lease{name, row->owner, row->epoch, row->expiresAt});
}

// ---------------------------------------------------------------- audit

Result<AuditEvent> SqliteStore::appendEvent(const AuditEventInput& in) {
  if (in.kind.empty()) return invalid("audit event kind is empty", "kind");
  if (in.actor.empty()) return invalid("audit event actor is empty", "actor");
  auto data = toJsonText(in.data, "audit event " + in.kind + ": data");
  if (!data) return std::unexpected(data.error());
  AuditEvent e;
  static_cast<AuditEventInput&>(e) = in;
  auto reparsed = fromJsonText(*data, "audit event data");
  if (!reparsed) return std::unexpected(reparsed.error());
  e.data = std::move(*reparsed);  // exactly what readers will see and hash
  return inWriteTransaction([&]() -> Result<AuditEvent> {
    RAMP_TRY_STMT(head, "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1");
    int rc = head.step();
    if (rc == SQLITE_ROW) {
      e.seq = head.int64(0) + 1;
      e.prevHash = head.text(1);
    } else if (rc == SQLITE_DONE) {
      e.seq = 1;
      e.prevHash = kGenesisHash;
    } else {
      return std::unexpected(sqlError(rc, "reading the audit chain head"));
    }
    e.hash = hashOf(e);
    RAMP_TRY_STMT(ins, fmt::format("INSERT INTO audit_events ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                                   "?8, ?9, ?10)",
                                   kEventCols));
    ins.bind(1, e.seq).bind(2, e.time).bind(3, e.actor).bind(4, e.kind).bind(5, e.service)
        .bind(6, e.env).bind(7, e.deploymentId).bind(8, *data).bind(9, e.prevHash).bind(10, e.hash);
    rc = ins.step();
    if (rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "appending audit event"));
    return e;
  });
}

Result<std::vector<AuditEvent>> SqliteStore::listEvents(const AuditFilter& f) {
  if (f.limit <= 0) return invalid(fmt::format("limit must be positive, got {}", f.limit), "limit");
  std::string sql = fmt::format("SELECT {} FROM audit_events WHERE 1 = 1", kEventCols);
  std::vector<Value> args;
  auto cond = [&](const char* col, const char* op, Value v) {
    args.push_back(std::move(v));
    sql += fmt::format(" AND {} {} ?{}", col, op, args.size());
  };
  if (f.service) cond("service", "=", *f.service);
  if (f.env) cond("env", "=", *f.env);
  if (f.deploymentId) cond("deployment_id", "=", *f.deploymentId);
  if (f.sinceTime) cond("time", ">=", *f.sinceTime);
  if (f.afterSeq) cond("seq", ">", *f.afterSeq);
  args.emplace_back(int64_t{f.limit});
  sql += fmt::format(" ORDER BY seq LIMIT ?{}", args.size());
  std::lock_guard lock(mu_);
  RAMP_TRY_STMT(st, sql);
  for (size_t i = 0; i < args.size(); ++i) st.bind(static_cast<int>(i + 1), args[i]);
  std::vector<AuditEvent> out;
  for (;;) {
    int rc = st.step();
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "listing audit events"));
    auto e = readEvent(st);
    if (!e) return std::unexpected(e.error());
    out.push_back(std::move(*e));
  }
  return out;
}

// ---------------------------------------------------------------- users, tokens

Status SqliteStore::putUser(const UserRecord& u) {
  if (auto c = checkUserRecord(u); !c) return c;
  auto roles = toJsonText(u.roles, "user " + u.name);
  if (!roles) return std::unexpected(roles.error());
  return inWriteTransaction([&]() -> Status {
    RAMP_TRY_STMT(st, fmt::format("INSERT INTO users ({}) VALUES (?1, ?2, ?3, ?4, ?5) "
                                  "ON CONFLICT (name) DO UPDATE SET roles = excluded.roles, "
                                  "disabled = excluded.disabled",
                                  kUserCols));
    st.bind(1, u.name).bind(2, *roles).bind(3, u.createdAt).bind(4, u.createdBy).bind(5, int64_t{u.disabled});
    int rc = st.step();
    if (rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "writing user " + u.name));
    return ok();
  });
}

Result<UserRecord> SqliteStore::getUser(const std::string& name) {
  std::lock_guard lock(mu_);
  RAMP_TRY_STMT(st, fmt::format("SELECT {} FROM users WHERE name = ?1", kUserCols));
  st.bind(1, name);
  int rc = st.step();
  if (rc == SQLITE_DONE) return notFound("no user " + name, "user");
  if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "reading user"));
  return readUser(st);
}

Result<std::vector<UserRecord>> SqliteStore::listUsers() {
  std::lock_guard lock(mu_);
  RAMP_TRY_STMT(st, fmt::format("SELECT {} FROM users ORDER BY name", kUserCols));
  std::vector<UserRecord> out;
  for (int i = 0; i < 1'000'000; ++i) {
    int rc = st.step();
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "listing users"));
    auto u = readUser(st);
    if (!u) return std::unexpected(u.error());
    out.push_back(std::move(*u));
  }
  return out;
}

Status SqliteStore::insertToken(const TokenRecord& t) {
  if (auto c = checkTokenRecord(t); !c) return c;
  return inWriteTransaction([&]() -> Status {
    RAMP_TRY_STMT(st, fmt::format("INSERT INTO tokens ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", kTokenCols));
    st.bind(1, t.id).bind(2, t.user).bind(3, t.name).bind(4, t.sha256).bind(5, t.createdAt);
    st.bind(6, opt(t.expiresAt)).bind(7, opt(t.revokedAt)).bind(8, opt(t.lastUsedAt));
    int rc = st.step();
    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
      return conflict("a token with this id or this hash already exists", "token " + t.id);
    }
    if (rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "writing token " + t.id));
    return ok();
  });
}

Result<TokenRecord> SqliteStore::findTokenBySha256(const std::string& sha256) {
  std::lock_guard lock(mu_);
  RAMP_TRY_STMT(st, fmt::format("SELECT {} FROM tokens WHERE sha256 = ?1", kTokenCols));
  st.bind(1, sha256);
  int rc = st.step();
  if (rc == SQLITE_DONE) return notFound("unknown token", "token");
  if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "reading token"));
  return readToken(st);
}

Result<std::vector<TokenRecord>> SqliteStore::listTokens(const std::optional<std::string>& user) {
  std::lock_guard lock(mu_);
  std::string sql = fmt::format("SELECT {} FROM tokens", kTokenCols);
  if (user) sql += " WHERE user_name = ?1";
  sql += " ORDER BY created_at, id";
  RAMP_TRY_STMT(st, sql);
  if (user) st.bind(1, *user);
  std::vector<TokenRecord> out;
  for (int i = 0; i < 1'000'000; ++i) {
    int rc = st.step();
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "listing tokens"));
    out.push_back(readToken(st));
  }
  return out;
}

Result<TokenRecord> SqliteStore::revokeToken(const std::string& id, int64_t now) {
  return inWriteTransaction([&]() -> Result<TokenRecord> {
    {
      RAMP_TRY_STMT(up, "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL");
      up.bind(1, id).bind(2, now);
      int rc = up.step();
      if (rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "revoking token " + id));
    }
    RAMP_TRY_STMT(st, fmt::format("SELECT {} FROM tokens WHERE id = ?1", kTokenCols));
    st.bind(1, id);
    int rc = st.step();
    if (rc == SQLITE_DONE) return notFound("no token " + id, "id");
    if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "reading token"));
    return readToken(st);
  });
}

Status SqliteStore::touchToken(const std::string& id, int64_t at) {
  auto r = inWriteTransaction([&]() -> Result<bool> {
    {
      RAMP_TRY_STMT(up, "UPDATE tokens SET last_used_at = ?2 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)");
      up.bind(1, id).bind(2, at);
      int rc = up.step();
      if (rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "recording the use of token " + id));
    }
    RAMP_TRY_STMT(st, "SELECT 1 FROM tokens WHERE id = ?1");
    st.bind(1, id);
    int rc = st.step();
    if (rc == SQLITE_DONE) return notFound("no token " + id, "id");
    if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "reading token"));
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

Result<InfraStateRecord> readInfraState(Stmt& st) {
  InfraStateRecord r;
  r.project = st.text(0);
  r.env = st.text(1);
  r.region = st.text(2);
  r.lineage = st.text(3);
  r.serial = st.int64(4);
  auto doc = fromJsonText(st.text(5), "infra state " + r.project + "/" + r.env + "/" + r.region);
  if (!doc) return std::unexpected(doc.error());
  r.resources = std::move(*doc);
  r.updatedAt = st.int64(6);
  return r;
}

Result<InfraJournalRecord> readInfraJournal(Stmt& st) {
  InfraJournalRecord e;
  e.id = st.int64(0);
  e.applyId = st.text(1);
  e.project = st.text(2);
  e.env = st.text(3);
  e.region = st.text(4);
  e.address = st.text(5);
  e.action = st.text(6);
  e.clientToken = st.text(7);
  e.status = st.text(8);
  auto doc = fromJsonText(st.text(9), fmt::format("infra journal entry {}", e.id));
  if (!doc) return std::unexpected(doc.error());
  e.detail = std::move(*doc);
  e.at = st.int64(10);
  return e;
}

}  // namespace

Result<std::optional<InfraStateRecord>> SqliteStore::getInfraState(const std::string& project,
                                                                   const std::string& env,
                                                                   const std::string& region) {
  std::lock_guard lock(mu_);
  RAMP_TRY_STMT(st, fmt::format("SELECT {} FROM infra_state WHERE project = ?1 AND env = ?2 AND region = ?3",
                                kInfraStateCols));
  st.bind(1, project).bind(2, env).bind(3, region);
  int rc = st.step();
  if (rc == SQLITE_DONE) return std::optional<InfraStateRecord>();
  if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "reading infra state"));
  auto r = readInfraState(st);
  if (!r) return std::unexpected(r.error());
  return std::optional<InfraStateRecord>(std::move(*r));
}

Status SqliteStore::putInfraState(InfraStateRecord& r, int64_t expectedSerial) {
  if (auto c = checkInfraStateWrite(r, expectedSerial); !c) return c;
  auto doc = toJsonText(r.resources, "infra state " + r.project + "/" + r.env + "/" + r.region + ": resources");
  if (!doc) return std::unexpected(doc.error());
  return inWriteTransaction([&]() -> Status {
    std::optional<std::pair<std::string, int64_t>> current;
    {
      RAMP_TRY_STMT(sel, "SELECT lineage, serial FROM infra_state WHERE project = ?1 AND env = ?2 AND region = ?3");
      sel.bind(1, r.project).bind(2, r.env).bind(3, r.region);
      int rc = sel.step();
      if (rc == SQLITE_ROW) current = std::make_pair(sel.text(0), sel.int64(1));
      else if (rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "reading infra state"));
    }
    if (auto c = decideInfraStateWrite(r, expectedSerial, current); !c) return c;
    RAMP_TRY_STMT(up, fmt::format("INSERT INTO infra_state ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                                  "ON CONFLICT (project, env, region) DO UPDATE SET "
                                  "lineage = excluded.lineage, serial = excluded.serial, "
                                  "resources_json = excluded.resources_json, updated_at = excluded.updated_at",
                                  kInfraStateCols));
    up.bind(1, r.project).bind(2, r.env).bind(3, r.region).bind(4, r.lineage)
        .bind(5, expectedSerial + 1).bind(6, *doc).bind(7, r.updatedAt);
    int rc = up.step();
    if (rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "writing infra state"));
    r.serial = expectedSerial + 1;
    return ok();
  });
}

Result<std::vector<InfraStateRecord>> SqliteStore::listInfraStates(const std::string& project,
                                                                   const std::string& env) {
  std::lock_guard lock(mu_);
  RAMP_TRY_STMT(st, fmt::format("SELECT {} FROM infra_state WHERE project = ?1 AND env = ?2 ORDER BY region",
                                kInfraStateCols));
  st.bind(1, project).bind(2, env);
  std::vector<InfraStateRecord> out;
  for (int i = 0; i < 1'000'000; ++i) {
    int rc = st.step();
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "listing infra state"));
    auto r = readInfraState(st);
    if (!r) return std::unexpected(r.error());
    out.push_back(std::move(*r));
  }
  return out;
}

Result<int64_t> SqliteStore::appendInfraJournal(const InfraJournalRecord& e) {
  if (auto c = checkInfraJournalEntry(e); !c) return std::unexpected(c.error());
  auto doc = toJsonText(e.detail, "infra journal " + e.address + ": detail");
  if (!doc) return std::unexpected(doc.error());
  return inWriteTransaction([&]() -> Result<int64_t> {
    RAMP_TRY_STMT(ins, "INSERT INTO infra_journal (apply_id, project, env, region, address, action, "
                       "client_token, status, detail_json, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    ins.bind(1, e.applyId).bind(2, e.project).bind(3, e.env).bind(4, e.region).bind(5, e.address)
        .bind(6, e.action).bind(7, e.clientToken).bind(8, e.status).bind(9, *doc).bind(10, e.at);
    int rc = ins.step();
    if (rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "appending infra journal entry"));
    return static_cast<int64_t>(sqlite3_last_insert_rowid(db_));
  });
}

Status SqliteStore::updateInfraJournal(int64_t id, const std::string& status, const Json& detail,
                                       int64_t at) {
  if (status.empty()) return invalid("infra journal status is empty", "status");
  auto doc = toJsonText(detail, fmt::format("infra journal entry {}: detail", id));
  if (!doc) return std::unexpected(doc.error());
  return inWriteTransaction([&]() -> Status {
    RAMP_TRY_STMT(up, "UPDATE infra_journal SET status = ?2, detail_json = ?3, at = ?4 WHERE id = ?1");
    up.bind(1, id).bind(2, status).bind(3, *doc).bind(4, at);
    int rc = up.step();
    if (rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "updating infra journal entry"));
    if (sqlite3_changes(db_) != 1) {
      return notFound(fmt::format("no infra journal entry {}", id), fmt::format("infra journal {}", id));
    }
    return ok();
  });
}

Result<std::vector<InfraJournalRecord>> SqliteStore::listInfraJournal(
    const std::string& project, const std::string& env, bool openOnly,
    const std::optional<std::string>& applyId) {
  std::string sql = fmt::format("SELECT {} FROM infra_journal WHERE project = ?1 AND env = ?2", kInfraJournalCols);
  if (openOnly) sql += " AND status = 'intent'";
  if (applyId) sql += " AND apply_id = ?3";
  sql += " ORDER BY id";
  std::lock_guard lock(mu_);
  RAMP_TRY_STMT(st, sql);
  st.bind(1, project).bind(2, env);
  if (applyId) st.bind(3, *applyId);
  std::vector<InfraJournalRecord> out;
  for (int i = 0; i < 10'000'000; ++i) {
    int rc = st.step();
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "listing infra journal"));
    auto e = readInfraJournal(st);
    if (!e) return std::unexpected(e.error());
    out.push_back(std::move(*e));
  }
  return out;
}

// ---------------------------------------------------------------- settings

Result<std::optional<std::string>> SqliteStore::getSetting(const std::string& key) {
  std::lock_guard lock(mu_);
  RAMP_TRY_STMT(st, "SELECT value FROM settings WHERE key = ?1");
  st.bind(1, key);
  int rc = st.step();
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "reading setting"));
  return std::optional<std::string>(st.text(0));
}

Status SqliteStore::putSetting(const std::string& key, const std::string& value,
                               const std::optional<Fence>& fence) {
  if (key.empty()) return invalid("setting key is empty", "key");
  return inWriteTransaction([&]() -> Status {
    RAMP_CHECK_FENCE(fence);
    RAMP_TRY_STMT(st, "INSERT INTO settings (key, value) VALUES (?1, ?2) "
                      "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    st.bind(1, key).bind(2, value);
    int rc = st.step();
    if (rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "writing setting"));
    return ok();
  });
}

Result<std::string> SqliteStore::putSettingIfAbsent(const std::string& key, const std::string& value) {
  if (key.empty()) return invalid("setting key is empty", "key");
  return inWriteTransaction([&]() -> Result<std::string> {
    RAMP_TRY_STMT(ins, "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING");
    ins.bind(1, key).bind(2, value);
    int rc = ins.step();
    if (rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "writing setting"));
    RAMP_TRY_STMT(sel, "SELECT value FROM settings WHERE key = ?1");
    sel.bind(1, key);
    rc = sel.step();
    if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "reading setting"));
    return sel.text(0);
  });
}

Status SqliteStore::truncateAllForTests() {
  return inWriteTransaction([&]() -> Status {
    return execScript("DELETE FROM releases; DELETE FROM deployments; DELETE FROM fleets; "
                      "DELETE FROM leases; DELETE FROM audit_events; DELETE FROM settings; "
                      "DELETE FROM users; DELETE FROM tokens; DELETE FROM infra_state; DELETE FROM infra_journal;",
                      "truncating");
  });
}

// ------------------------------------------------------ config of record

namespace {

Result<ConfigVersionRecord> readConfigVersion(Stmt& st) {
  ConfigVersionRecord r;
  r.version = st.int64(0);
  r.state = st.text(1);
  r.baseVersion = st.int64(2);
  r.digest = st.text(3);
  r.pushedBy = st.text(4);
  r.pushedAt = st.int64(5);
  r.revision = st.int64(6);
  r.updatedAt = st.int64(7);
  auto doc = fromJsonText(st.text(8), fmt::format("config version {}", r.version));
  if (!doc) return std::unexpected(doc.error());
  if (auto a = applyDoc(r, *doc); !a) return std::unexpected(a.error());
  return r;
}

}  // namespace

Status SqliteStore::appendConfigVersion(ConfigVersionRecord& r) {
  if (auto c = checkConfigVersion(r); !c) return c;
  auto doc = toJsonText(docOf(r), "config version");
  if (!doc) return std::unexpected(doc.error());
  return inWriteTransaction([&]() -> Status {
    int64_t inForce = 0, next = 1;
    {
      RAMP_TRY_STMT(cur, "SELECT version FROM config_versions WHERE state = 'in_force'");
      int rc = cur.step();
      if (rc == SQLITE_ROW) inForce = cur.int64(0);
      else if (rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "reading the config version in force"));
    }
    {
      RAMP_TRY_STMT(mx, "SELECT COALESCE(MAX(version), 0) + 1 FROM config_versions");
      if (int rc = mx.step(); rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "numbering config versions"));
      next = mx.int64(0);
    }
    if (auto d = decideAppend(r, inForce); !d) return d;
    if (r.state == "in_force" && inForce != 0) {
      RAMP_TRY_STMT(up, "UPDATE config_versions SET state = 'superseded', updated_at = ?2 WHERE version = ?1");
      up.bind(1, inForce).bind(2, r.updatedAt);
      if (int rc = up.step(); rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "superseding config version"));
    }
    RAMP_TRY_STMT(ins, fmt::format("INSERT INTO config_versions ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8)",
                                   kConfigVersionCols));
    ins.bind(1, next).bind(2, r.state).bind(3, r.baseVersion).bind(4, r.digest).bind(5, r.pushedBy)
        .bind(6, r.pushedAt).bind(7, r.updatedAt).bind(8, *doc);
    if (int rc = ins.step(); rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "writing config version"));
    r.version = next;
    r.revision = 1;
    return ok();
  });
}

Status SqliteStore::updateConfigVersion(ConfigVersionRecord& r) {
  if (auto c = checkConfigVersion(r); !c) return c;
  auto doc = toJsonText(docOf(r), fmt::format("config version {}", r.version));
  if (!doc) return std::unexpected(doc.error());
  return inWriteTransaction([&]() -> Status {
    std::string state;
    int64_t revision = 0, inForce = 0;
    {
      RAMP_TRY_STMT(sel, "SELECT state, revision FROM config_versions WHERE version = ?1");
      sel.bind(1, r.version);
      int rc = sel.step();
      if (rc == SQLITE_DONE) return notFound(fmt::format("no config version {}", r.version), "version");
      if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "reading config version"));
      state = sel.text(0);
      revision = sel.int64(1);
    }
    {
      RAMP_TRY_STMT(cur, "SELECT version FROM config_versions WHERE state = 'in_force'");
      int rc = cur.step();
      if (rc == SQLITE_ROW) inForce = cur.int64(0);
      else if (rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "reading the config version in force"));
    }
    if (auto d = decideUpdate(r, state, revision, inForce); !d) return d;
    if (r.state == "in_force" && inForce != 0) {
      RAMP_TRY_STMT(up, "UPDATE config_versions SET state = 'superseded', updated_at = ?2 WHERE version = ?1");
      up.bind(1, inForce).bind(2, r.updatedAt);
      if (int rc = up.step(); rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "superseding config version"));
    }
    RAMP_TRY_STMT(up, "UPDATE config_versions SET state = ?2, revision = revision + 1, updated_at = ?3, doc = ?4 "
                      "WHERE version = ?1");
    up.bind(1, r.version).bind(2, r.state).bind(3, r.updatedAt).bind(4, *doc);
    if (int rc = up.step(); rc != SQLITE_DONE) return std::unexpected(sqlError(rc, "updating config version"));
    r.revision = revision + 1;
    return ok();
  });
}

Result<ConfigVersionRecord> SqliteStore::getConfigVersion(int64_t version) {
  std::lock_guard lock(mu_);
  RAMP_TRY_STMT(st, fmt::format("SELECT {} FROM config_versions WHERE version = ?1", kConfigVersionCols));
  st.bind(1, version);
  int rc = st.step();
  if (rc == SQLITE_DONE) return notFound(fmt::format("no config version {}", version), "version");
  if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "reading config version"));
  return readConfigVersion(st);
}

Result<std::optional<ConfigVersionRecord>> SqliteStore::configVersionInForce() {
  std::lock_guard lock(mu_);
  RAMP_TRY_STMT(st, fmt::format("SELECT {} FROM config_versions WHERE state = 'in_force'", kConfigVersionCols));
  int rc = st.step();
  if (rc == SQLITE_DONE) return std::optional<ConfigVersionRecord>();
  if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "reading the config version in force"));
  auto r = readConfigVersion(st);
  if (!r) return std::unexpected(r.error());
  return std::optional<ConfigVersionRecord>(std::move(*r));
}

Result<std::vector<ConfigVersionRecord>> SqliteStore::listConfigVersions(const std::vector<std::string>& states,
                                                                         int limit) {
  std::lock_guard lock(mu_);
  RAMP_TRY_STMT(st, fmt::format("SELECT {} FROM config_versions ORDER BY version DESC", kConfigVersionCols));
  std::vector<ConfigVersionRecord> out;
  for (int i = 0; i < 10'000'000 && static_cast<int>(out.size()) < limit; ++i) {
    int rc = st.step();
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "listing config versions"));
    if (!states.empty() && std::find(states.begin(), states.end(), st.text(1)) == states.end()) continue;
    auto r = readConfigVersion(st);
    if (!r) return std::unexpected(r.error());
    out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace ramp::store
