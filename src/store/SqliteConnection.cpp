#include "store/SqliteConnection.h"

#include <fcntl.h>

#include <chrono>
#include <thread>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace ramp::store {

namespace {

// Resets and clears a cached statement whatever happens to the call.
struct StatementUse {
  sqlite3_stmt* s;
  ~StatementUse() {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
};

}  // namespace

SqliteConnection::SqliteConnection(sqlite3* db, std::string path) : db_(db), where_("store " + path) {}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::open(const std::string& path) {
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
  std::unique_ptr<SqliteConnection> conn(new SqliteConnection(db, path));
  // Switching the journal mode can answer SQLITE_BUSY at once, without the
  // busy handler (SQLite does so where waiting could deadlock), e.g. while
  // another process opens the same new store (ConcurrentOpenersMigrateOnce
  // failed so once in CI with 4 openers): tried again for up to 10 s.
  auto wal = conn->run("PRAGMA journal_mode=WAL", {});
  for (int i = 0; i < 500 && !wal && wal.error().code == ErrorCode::kUnavailable; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    wal = conn->run("PRAGMA journal_mode=WAL", {});
  }
  if (!wal) {
    Error e = wal.error();
    e.message = "enabling WAL: " + e.message;
    return std::unexpected(e);
  }
  if (wal->empty() || wal->front().text(0) != "wal") {
    return unavailable(fmt::format("cannot enable WAL journal (got '{}')", wal->empty() ? "" : wal->front().text(0)),
                       where);
  }
  if (auto st = conn->script("PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;", "pragmas"); !st) {
    return std::unexpected(st.error());
  }
  return conn;
}

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::openReader(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return unavailable(fmt::format("cannot open a read connection to the SQLite store: {}", msg), "store " + path);
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 10'000);
  std::unique_ptr<SqliteConnection> conn(new SqliteConnection(db, path));
  if (auto st = conn->script("PRAGMA query_only=ON;", "pragmas of a read connection"); !st) {
    return std::unexpected(st.error());
  }
  return conn;
}

Error SqliteConnection::sqlError(int rc, std::string_view what) const {
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
  return Error{code, msg, where_};
}

Status SqliteConnection::ready() {
  // A call that failed between BEGIN and COMMIT/ROLLBACK (it never does:
  // SqlStore always ends what it began) would leave a transaction open.
  if (!sqlite3_get_autocommit(db_)) (void)script("ROLLBACK", "rolling back");
  return ok();
}

Result<sqlite3_stmt*> SqliteConnection::prepare(std::string_view sql) {
  std::string key(sql);
  if (auto it = statements_.find(key); it != statements_.end()) return it->second;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, key.c_str(), static_cast<int>(key.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                              nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return std::unexpected(sqlError(rc, "preparing statement"));
  }
  statements_.emplace(std::move(key), stmt);
  return stmt;
}

Result<SqlResult> SqliteConnection::run(std::string_view sql, const std::vector<SqlValue>& params) {
  auto prepared = prepare(sql);
  if (!prepared) return std::unexpected(prepared.error());
  sqlite3_stmt* s = *prepared;
  StatementUse use{s};
  for (size_t i = 0; i < params.size(); ++i) {
    int at = static_cast<int>(i + 1);
    const SqlValue& v = params[i];
    if (auto* n = std::get_if<int64_t>(&v)) {
      sqlite3_bind_int64(s, at, *n);
    } else if (auto* t = std::get_if<std::string>(&v)) {
      sqlite3_bind_text64(s, at, t->data(), t->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    } else if (auto* b = std::get_if<SqlBlob>(&v)) {
      sqlite3_bind_blob64(s, at, b->bytes.data(), b->bytes.size(), SQLITE_TRANSIENT);
    } else {
      sqlite3_bind_null(s, at);
    }
  }
  SqlResult out;
  const int columns = sqlite3_column_count(s);
  for (;;) {
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return std::unexpected(sqlError(rc, "query failed"));
    std::vector<SqlRow::Cell> cells;
    cells.reserve(static_cast<size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      switch (sqlite3_column_type(s, c)) {
        case SQLITE_NULL:
          cells.emplace_back(std::monostate{});
          break;
        case SQLITE_INTEGER:
          cells.emplace_back(static_cast<int64_t>(sqlite3_column_int64(s, c)));
          break;
        case SQLITE_BLOB: {
          const auto* p = static_cast<const char*>(sqlite3_column_blob(s, c));
          int n = sqlite3_column_bytes(s, c);
          cells.emplace_back(p ? std::string(p, static_cast<size_t>(n)) : std::string());
          break;
        }
        default: {
          const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, c));
          int n = sqlite3_column_bytes(s, c);
          cells.emplace_back(p ? std::string(p, static_cast<size_t>(n)) : std::string());
          break;
        }
      }
    }
    out.rows.emplace_back(std::move(cells));
  }
  out.changes = sqlite3_stmt_readonly(s) ? 0 : sqlite3_changes64(db_);
  return out;
}

Status SqliteConnection::script(const std::string& sql, std::string_view what) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
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

}  // namespace ramp::store
