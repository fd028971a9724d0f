// SqlConnectionPoolTest — the store's read connections (SqlConnectionPool.h):
// opened on demand up to the capacity and reused, one caller per
// connection, a bounded wait when all are lent, an open failure reported
// and its slot freed; SQLite read connections refuse writes.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "core/Sha256.h"
#include "store/SqlConnectionPool.h"
#include "store/SqliteConnection.h"

using namespace ramp;
using namespace ramp::store;
using namespace std::chrono_literals;

namespace {

class NullConnection final : public SqlConnection {
 public:
  const SqlDialect& dialect() const override { return SqlDialect::sqlite(); }
  const std::string& where() const override { return where_; }
  Status ready() override { return ok(); }
  Result<SqlResult> run(std::string_view, const std::vector<SqlValue>&) override { return SqlResult{}; }
  Status script(const std::string&, std::string_view) override { return ok(); }

 private:
  std::string where_ = "store test";
};

struct Opens {
  std::atomic<int> count{0};
  std::atomic<bool> fail{false};
  SqlConnectionPool::Opener opener() {
    return [this]() -> Result<std::unique_ptr<SqlConnection>> {
      if (fail) return unavailable("cannot connect (test)", "store test");
      ++count;
      return std::unique_ptr<SqlConnection>(std::make_unique<NullConnection>());
    };
  }
};

TEST(SqlConnectionPool, OpensOnDemandAndReuses) {
  Opens opens;
  SqlConnectionPool pool(opens.opener(), 3, 1s, "store test");
  EXPECT_EQ(pool.opened(), 0u) << "nothing is opened before the first read";
  SqlConnection* first = nullptr;
  {
    auto a = pool.acquire();
    ASSERT_TRUE(a);
    first = &**a;
  }
  auto b = pool.acquire();
  ASSERT_TRUE(b);
  EXPECT_EQ(&**b, first) << "a returned connection is lent again";
  EXPECT_EQ(opens.count.load(), 1);
  auto c = pool.acquire();
  ASSERT_TRUE(c);
  EXPECT_NE(&**c, first) << "two callers never share a connection";
  EXPECT_EQ(pool.opened(), 2u);
}

TEST(SqlConnectionPool, AFullPoolWaitsThenFailsNamingItsSize) {
  Opens opens;
  SqlConnectionPool pool(opens.opener(), 2, 200ms, "store test");
  auto a = pool.acquire();
  auto b = pool.acquire();
  ASSERT_TRUE(a && b);
  auto t0 = std::chrono::steady_clock::now();
  auto c = pool.acquire();
  ASSERT_FALSE(c);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 200ms);
  EXPECT_EQ(c.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(c.error().message.find("all 2 read connections"), std::string::npos) << c.error().message;
  EXPECT_EQ(opens.count.load(), 2) << "never more than the capacity";

  // A waiter gets the connection given back.
  std::atomic<bool> got{false};
  SqlConnectionPool one(opens.opener(), 1, 10s, "store test");
  auto held = std::make_optional(*one.acquire());
  std::thread second([&] { got = one.acquire().has_value(); });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(got.load());
  held.reset();
  second.join();
  EXPECT_TRUE(got.load());
}

TEST(SqlConnectionPool, AnOpenFailureIsReportedAndItsSlotFreed) {
  Opens opens;
  SqlConnectionPool pool(opens.opener(), 1, 100ms, "store test");
  opens.fail = true;
  auto a = pool.acquire();
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(a.error().message.find("cannot connect"), std::string::npos);
  EXPECT_EQ(pool.opened(), 0u);
  opens.fail = false;
  EXPECT_TRUE(pool.acquire()) << "the next read tries to open again";
}

TEST(SqlConnectionPool, SqliteReadConnectionsRefuseWrites) {
  auto dir = std::filesystem::temp_directory_path() / ("pool-" + randomHex(6));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "store.db").string();
  {
    auto writer = SqliteConnection::open(path);
    ASSERT_TRUE(writer) << writer.error().describe();
    ASSERT_TRUE((*writer)->script("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);", "setup"));
    auto reader = SqliteConnection::openReader(path);
    ASSERT_TRUE(reader) << reader.error().describe();
    auto rows = (*reader)->run("SELECT x FROM t", {});
    ASSERT_TRUE(rows) << rows.error().describe();
    ASSERT_EQ(rows->rows.size(), 1u);
    EXPECT_FALSE((*reader)->run("INSERT INTO t VALUES (2)", {})) << "a read connection wrote";
    // It sees the writer's next commit.
    ASSERT_TRUE((*writer)->script("INSERT INTO t VALUES (3);", "insert"));
    auto again = (*reader)->run("SELECT COUNT(*) FROM t", {});
    ASSERT_TRUE(again);
    EXPECT_EQ(again->rows.front().int64(0), 2);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
