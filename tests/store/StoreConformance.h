// StoreConformance.h — the fixture of the store conformance suite: one test
// body, run against each backend (a fresh SQLite file, or a fresh PostgreSQL
// database on the `postgres` CTest fixture's server). The suite's files
// (tests/store/*ConformanceTest.cpp) share it; StoreConformanceTest.cpp
// instantiates it once for both backends.
#pragma once

#include <sqlite3.h>
#include <sys/stat.h>

#include <atomic>
#include <barrier>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "PgTestDatabase.h"
#include "core/Clock.h"
#include "core/Sha256.h"
#include "store/AuditChain.h"
#include "store/Migrations.h"
#include "store/Store.h"

namespace ramp::store::test {

using namespace ramp;
namespace fs = std::filesystem;
using PgDb = ramp::store::test::PgTestDatabase;

inline constexpr int64_t kT0 = 1'700'000'000'000;

inline fs::path scratchDir() {
  const char* home = std::getenv("RAMP_HOME");
  fs::path base = home && *home ? fs::path(home) : fs::temp_directory_path();
  fs::path dir = base / ("store-" + randomHex(6));
  fs::create_directories(dir);
  return dir;
}

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

inline AuditFilter byDeployment(const std::string& id) {
  AuditFilter f;
  f.deploymentId = id;
  return f;
}

class StoreConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      dir_ = scratchDir();
      url_ = "sqlite://" + (dir_ / "store.db").string();
    } else {
      auto db = PgDb::create();
      ASSERT_TRUE(db) << db.error().describe();
      pg_.emplace(std::move(*db));
      url_ = pg_->url();
    }
    auto s = openStore(url_);
    ASSERT_TRUE(s) << s.error().describe();
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    pg_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  std::unique_ptr<Store> reopen() {
    auto s = openStore(url_);
    EXPECT_TRUE(s) << s.error().describe();
    return s ? std::move(*s) : nullptr;
  }

  // Runs raw SQL on the backing database (to play the tamperer).
  void rawSql(const std::string& sql) {
    rawSqlAt(GetParam() == "sqlite" ? (dir_ / "store.db").string() : url_, sql);
  }

  // Runs raw SQL on another database of the same backend: a SQLite file
  // path, or a PostgreSQL URL.
  void rawSqlAt(const std::string& target, const std::string& sql) {
    if (GetParam() == "sqlite") {
      sqlite3* db = nullptr;
      ASSERT_EQ(sqlite3_open(target.c_str(), &db), SQLITE_OK);
      sqlite3_busy_timeout(db, 5000);
      char* err = nullptr;
      int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
      std::string msg = err ? err : "";
      sqlite3_free(err);
      sqlite3_close(db);
      ASSERT_EQ(rc, SQLITE_OK) << msg;
    } else {
      auto st = PgDb::run(target, sql);
      ASSERT_TRUE(st) << st.error().describe();
    }
  }

  DeploymentRecord deployment(const std::string& id, const std::string& service,
                              const std::string& env, const std::string& state, int64_t at) {
    DeploymentRecord d;
    d.id = id;
    d.service = service;
    d.env = env;
    d.state = state;
    d.createdAt = at;
    d.updatedAt = at;
    d.doc = Json{{"strategy", "canary"}, {"step", 0}};
    return d;
  }

  FleetRecord fleet(const std::string& id, const std::string& service, const std::string& env,
                    const std::string& state, int64_t at) {
    FleetRecord f;
    f.id = id;
    f.service = service;
    f.env = env;
    f.region = "local";
    f.version = "1.0.0";
    f.digest = "sha256:" + std::string(64, 'a');
    f.state = state;
    f.createdAt = at;
    f.updatedAt = at;
    f.doc = Json{{"instances", Json::array({Json{{"pid", 1}, {"port", 8080}}})}};
    return f;
  }

  fs::path dir_;
  std::optional<PgDb> pg_;
  std::string url_;
  std::unique_ptr<Store> store_;
};

}  // namespace ramp::store::test
