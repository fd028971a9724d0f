// SqlConnection.h — one database connection, as the SQL store sees it.
//
// The thin adapter between SqlStore (which holds every query, check and
// message once) and a database library: SqliteConnection (sqlite3) and
// PostgresConnection (libpq). It runs one statement at a time with
// parameters and hands back materialised rows (SqlValue.h); it knows the
// dialect its SQL is written in (SqlDialect.h).
//
// Contract:
//  - run(): one statement, parameters ?1..?N in the text (a connection
//    whose database spells them otherwise rewrites them). Rows are fully
//    read before it returns; `changes` counts the rows the statement wrote.
//  - Errors are Error values with `where` = where() ("store <file>" or
//    "store <URL with the password redacted>"):
//      kConflict     a unique or primary-key violation;
//      kUnavailable  the database is busy/locked past its timeout, unreachable,
//                    or a lock/statement timeout, deadlock or serialisation
//                    failure (the caller may retry the whole call);
//      kInvalid      a value the database refuses (e.g. a NUL byte in text);
//      kInternal     anything else (a bug in the SQL).
//  - ready() is called at the start of every store call: it reconnects a
//    broken connection and rolls back a transaction a failed call left open.
//  - Not thread-safe: one thread at a time. SqlStore uses its writer under
//    its own mutex and lends each read connection to one caller at a time
//    (SqlConnectionPool.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/Result.h"
#include "store/SqlDialect.h"
#include "store/SqlValue.h"

namespace ramp::store {

class SqlConnection {
 public:
  virtual ~SqlConnection() = default;

  virtual const SqlDialect& dialect() const = 0;
  virtual const std::string& where() const = 0;
  virtual Status ready() = 0;
  virtual Result<SqlResult> run(std::string_view sql, const std::vector<SqlValue>& params) = 0;
  // Statements without parameters (DDL, BEGIN, COMMIT, ROLLBACK); `what`
  // prefixes the error message.
  virtual Status script(const std::string& sql, std::string_view what) = 0;
};

}  // namespace ramp::store
