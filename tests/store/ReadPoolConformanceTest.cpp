// ReadPoolConformanceTest — reads go through their own connections
// (SqlStore.h "Connections", issue #20): a read never waits for a write in
// progress, and a caller that wrote reads its write back.
#include <libpq-fe.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "StoreConformance.h"

using namespace ramp;
using namespace ramp::store;
using namespace ramp::store::test;

namespace {

// Another session that holds what the store's next fenced write needs:
// SQLite's write lock (BEGIN IMMEDIATE), or PostgreSQL's lock on the lease
// row (SELECT ... FOR UPDATE; a fence check reads it FOR SHARE). Let go by
// release() or the destructor.
class LockHolder {
 public:
  LockHolder(const std::string& backend, const std::string& target, const std::string& lease) {
    if (backend == "sqlite") {
      EXPECT_EQ(sqlite3_open(target.c_str(), &lite_), SQLITE_OK);
      EXPECT_EQ(sqlite3_exec(lite_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    } else {
      pg_ = PQconnectdb(target.c_str());
      EXPECT_EQ(PQstatus(pg_), CONNECTION_OK) << PQerrorMessage(pg_);
      exec("BEGIN");
      exec("SELECT 1 FROM leases WHERE name = '" + lease + "' FOR UPDATE");
    }
  }
  ~LockHolder() { release(); }
  void release() {
    if (lite_) {
      sqlite3_exec(lite_, "ROLLBACK", nullptr, nullptr, nullptr);
      sqlite3_close(lite_);
      lite_ = nullptr;
    }
    if (pg_) {
      exec("ROLLBACK");
      PQfinish(pg_);
      pg_ = nullptr;
    }
  }

 private:
  void exec(const std::string& sql) {
    PGresult* r = PQexec(pg_, sql.c_str());
    EXPECT_TRUE(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK)
        << sql << ": " << PQresultErrorMessage(r);
    PQclear(r);
  }
  sqlite3* lite_ = nullptr;
  PGconn* pg_ = nullptr;
};

TEST_P(StoreConformance, ReadsDoNotWaitForAWriteInProgress) {
  auto d = deployment("d-1", "web", "prod", "queued", kT0);
  ASSERT_TRUE(store_->insertDeployment(d, std::nullopt));
  auto lease = store_->acquireLease("controller", "node-a", 600'000, kT0);
  ASSERT_TRUE(lease) << lease.error().describe();
  const Fence fence{"controller", lease->epoch};

  LockHolder other(GetParam(), GetParam() == "sqlite" ? (dir_ / "store.db").string() : url_, "controller");
  // A fenced write that now waits for the other session (the store's busy or
  // lock timeout is 10 s) while it holds the store's writer.
  std::atomic<bool> writeDone{false};
  Status written = ok();
  std::thread writer([&] {
    auto w = d;
    w.state = "running";
    written = store_->updateDeployment(w, fence);
    writeDone = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the write is under way

  // Reads answer with the last committed state while that write waits.
  auto got = store_->getDeployment("d-1");
  DeploymentFilter f;
  f.service = "web";
  auto listed = store_->listDeployments(f);
  auto held = store_->getLease("controller");
  const bool writeEndedFirst = writeDone.load();
  other.release();
  writer.join();

  EXPECT_FALSE(writeEndedFirst) << "the reads waited for the write to end";
  ASSERT_TRUE(got) << got.error().describe();
  EXPECT_EQ(got->revision, 1);
  EXPECT_EQ(got->state, "queued");
  ASSERT_TRUE(listed) << listed.error().describe();
  EXPECT_EQ(listed->size(), 1u);
  ASSERT_TRUE(held && *held);
  EXPECT_EQ((*held)->owner, "node-a");
  // The write went through once the other session let go.
  ASSERT_TRUE(written) << written.error().describe();
  auto after = store_->getDeployment("d-1");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->revision, 2);
  EXPECT_EQ(after->state, "running");
}

TEST_P(StoreConformance, AWriterReadsItsOwnWritesFromAnyThread) {
  // Each thread writes its deployment and reads it back at once, many
  // times, while the others do the same: a read never sees a state older
  // than the caller's last commit.
  constexpr int kThreads = 6, kRounds = 25;
  std::vector<std::thread> threads;
  std::atomic<int> stale{0}, failed{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto d = deployment("d-" + std::to_string(t), "svc" + std::to_string(t), "prod", "queued", kT0 + t);
      if (!store_->insertDeployment(d, std::nullopt)) ++failed;
      for (int i = 0; i < kRounds; ++i) {
        d.doc["step"] = i;
        if (!store_->updateDeployment(d, std::nullopt)) {
          ++failed;
          return;
        }
        auto back = store_->getDeployment(d.id);
        if (!back) {
          ++failed;
          return;
        }
        if (back->revision != d.revision || back->doc.value("step", -1) != i) ++stale;
        DeploymentFilter f;
        f.service = d.service;
        auto listed = store_->listDeployments(f);
        if (!listed || listed->size() != 1 || listed->front().revision != d.revision) ++stale;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(stale.load(), 0);
}

}  // namespace
