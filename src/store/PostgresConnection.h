// PostgresConnection.h — SqlConnection over libpq (the shared store).
//
//  - open() connects with connect_timeout 10 s (unless the URL says
//    otherwise) and client_encoding UTF8, then sets lock_timeout 10 s,
//    statement_timeout 60 s and time zone UTC, so no call waits forever.
//  - open(url, kReadOnly) (the store's read pool, SqlConnectionPool.h) also
//    sets default_transaction_read_only: a write through it is refused.
//  - ready() resets a broken connection (kUnavailable "PostgreSQL
//    unreachable" when that fails) and rolls back a transaction left open.
//    A call that fails mid-way reports kUnavailable and is not retried here:
//    its commit state is unknown; every store write is safe to re-issue
//    (revision-, serial- or fence-checked, or idempotent).
//  - run() rewrites ?N to $N (outside quoted literals and identifiers),
//    sends integers and text in text format and blobs in binary format
//    (bytea), and decodes bytea results to their bytes.
//  - Error mapping by SQLSTATE: 08*, 57P* and a dead connection ->
//    kUnavailable; 23505 (unique) -> kConflict; 40001, 40P01, 55P03, 57014
//    (serialisation, deadlock, lock and statement timeouts) -> kUnavailable;
//    22* (data exception) -> kInvalid; the rest kInternal.
//  - Errors name the URL with its password redacted (StoreUrl.h).
#pragma once

#include <memory>
#include <string>

#include "store/SqlConnection.h"

struct pg_conn;
struct pg_result;

namespace ramp::store {

class PostgresConnection final : public SqlConnection {
 public:
  enum class Access { kReadWrite, kReadOnly };
  // A libpq URI "postgresql://..." or key=value conninfo.
  static Result<std::unique_ptr<PostgresConnection>> open(const std::string& url,
                                                          Access access = Access::kReadWrite);
  ~PostgresConnection() override;
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  const SqlDialect& dialect() const override { return SqlDialect::postgres(); }
  const std::string& where() const override { return where_; }
  Status ready() override;
  Result<SqlResult> run(std::string_view sql, const std::vector<SqlValue>& params) override;
  Status script(const std::string& sql, std::string_view what) override;

  // ?N -> $N outside '...' literals and "..." identifiers (exposed for tests).
  static std::string numberedPlaceholders(std::string_view sql);

 private:
  PostgresConnection(pg_conn* conn, std::string shownUrl, Access access);
  Status setUpSession();
  Error pgError(const pg_result* res, std::string_view what) const;

  pg_conn* conn_ = nullptr;
  std::string where_;  // "store <redacted url>"
  Access access_;
};

}  // namespace ramp::store
