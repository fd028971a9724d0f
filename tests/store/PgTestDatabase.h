// PgTestDatabase.h — a fresh PostgreSQL database per test, on the server the
// `postgres` CTest fixture (tests/store/pg-fixture) started.
//
// Usage (a test registered with FIXTURES_REQUIRED postgres and the
// environment RAMP_TEST_PG_URL_FILE=<build>/pg/url, see README.md):
//
//   auto db = ramp::store::test::PgTestDatabase::create();
//   ASSERT_TRUE(db) << db.error().describe();
//   auto store = ramp::store::openStore(db->url());
//
// create() makes a database named t_<random> and url() points at it; the
// destructor drops it (WITH (FORCE)). Header-only; link libpq (ramp_store
// does).
#pragma once

#include <libpq-fe.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "core/Result.h"
#include "core/Sha256.h"

namespace ramp::store::test {

class PgTestDatabase {
 public:
  // The fixture's base URL: $RAMP_TEST_PG_URL, else the first line of the
  // file named by $RAMP_TEST_PG_URL_FILE.
  static Result<std::string> baseUrl() {
    if (const char* u = std::getenv("RAMP_TEST_PG_URL"); u && *u) return std::string(u);
    const char* f = std::getenv("RAMP_TEST_PG_URL_FILE");
    if (!f || !*f) {
      return failedPrecondition("neither RAMP_TEST_PG_URL nor RAMP_TEST_PG_URL_FILE is set "
                                "(register the test with FIXTURES_REQUIRED postgres)");
    }
    std::ifstream in(f);
    std::string url;
    if (!in || !std::getline(in, url) || url.empty()) {
      return failedPrecondition(std::string("cannot read the PostgreSQL URL from ") + f +
                                " (did the pg fixture start?)");
    }
    return url;
  }

  static Result<PgTestDatabase> create() {
    auto base = baseUrl();
    if (!base) return std::unexpected(base.error());
    std::string name = "t_" + randomHex(6);
    auto url = withDatabase(*base, name);
    if (!url) return std::unexpected(url.error());
    auto st = run(*base, "CREATE DATABASE " + name + " STRATEGY FILE_COPY");
    if (!st) return std::unexpected(st.error());
    return PgTestDatabase(*base, name, *url);
  }

  PgTestDatabase(PgTestDatabase&& o) noexcept
      : base_(std::move(o.base_)), name_(std::move(o.name_)), url_(std::move(o.url_)) {
    o.name_.clear();
  }
  PgTestDatabase& operator=(PgTestDatabase&&) = delete;
  ~PgTestDatabase() {
    if (!name_.empty()) (void)run(base_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  }

  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

  // Runs one SQL command on the database at url.
  static Status run(const std::string& url, const std::string& sql) {
    PGconn* c = PQconnectdb(url.c_str());
    if (PQstatus(c) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(c);
      PQfinish(c);
      return unavailable("cannot connect to the test server: " + msg);
    }
    PGresult* r = PQexec(c, sql.c_str());
    bool good = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    std::string msg = PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(c);
    if (!good) return internal(sql + ": " + msg);
    return ok();
  }

  // postgresql://user@/DB?host=... → the same URL naming database `db`.
  static Result<std::string> withDatabase(const std::string& url, const std::string& db) {
    auto scheme = url.find("://");
    if (scheme == std::string::npos) return invalid("not a URL: " + url);
    auto slash = url.find('/', scheme + 3);
    if (slash == std::string::npos) return invalid("no database in URL: " + url);
    auto end = url.find('?', slash);
    return url.substr(0, slash + 1) + db + (end == std::string::npos ? "" : url.substr(end));
  }

 private:
  PgTestDatabase(std::string base, std::string name, std::string url)
      : base_(std::move(base)), name_(std::move(name)), url_(std::move(url)) {}
  std::string base_;
  std::string name_;
  std::string url_;
};

}  // namespace ramp::store::test
