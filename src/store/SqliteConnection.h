// SqliteConnection.h — SqlConnection over one SQLite file (the embedded store).
//
//  - open() creates the file with mode 0600 (its -wal/-shm files inherit it)
//    in a directory that must exist; a directory or a file that is not a
//    database is refused (kInvalid / kUnavailable naming the path).
//  - journal_mode=WAL, synchronous=FULL (a commit is on disk before the side
//    effect it precedes), foreign_keys=ON, busy_timeout 10 s: other
//    processes opening the same file wait their turn instead of failing.
//  - openReader() opens a read connection to an existing store file (the
//    store's read pool, SqlConnectionPool.h): query_only=ON (a write through
//    it is refused), same busy timeout; in WAL mode it reads the last
//    committed state without waiting for the writer, whose commit (fsync)
//    never waits for it either.
//  - Prepared statements are cached per SQL text.
//  - Error mapping: SQLITE_BUSY/LOCKED (after the busy timeout), CANTOPEN,
//    IOERR, FULL, READONLY, NOTADB, CORRUPT -> kUnavailable; CONSTRAINT ->
//    kConflict; the rest kInternal.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "store/SqlConnection.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ramp::store {

class SqliteConnection final : public SqlConnection {
 public:
  static Result<std::unique_ptr<SqliteConnection>> open(const std::string& path);
  // A query_only connection to the file open() made (WAL already on).
  static Result<std::unique_ptr<SqliteConnection>> openReader(const std::string& path);
  ~SqliteConnection() override;
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  const SqlDialect& dialect() const override { return SqlDialect::sqlite(); }
  const std::string& where() const override { return where_; }
  Status ready() override;
  Result<SqlResult> run(std::string_view sql, const std::vector<SqlValue>& params) override;
  Status script(const std::string& sql, std::string_view what) override;

 private:
  SqliteConnection(sqlite3* db, std::string path);
  Result<sqlite3_stmt*> prepare(std::string_view sql);
  Error sqlError(int rc, std::string_view what) const;

  sqlite3* db_ = nullptr;
  std::string where_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace ramp::store
