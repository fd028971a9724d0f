// GroupCommitConformanceTest — writes that wait for the writer together share
// one transaction and one COMMIT, each in its own savepoint (SqlStore.h
// "Transactions", SqlGroupCommit.h; issue #20):
//  - many threads writing at once each get their own result, and the audit
//    chain they append to stays one unbroken chain;
//  - a write that fails inside a batch leaves none of its rows (not even
//    those it wrote before failing) and the others of the batch commit;
//  - when the batch's COMMIT fails, every caller of the batch gets the error
//    and none of their rows is there; the next write works;
//  - a lone writer commits at once (no waiting for company), and solo
//    writes (leases) never share a transaction;
//  - fences are checked per write: in one batch a deposed leader's fenced
//    write is refused (and leaves nothing) while the new leader's commits.
// Batches are made deterministic with a writer connection that holds its
// first statement until the test has queued the writes it wants behind it
// (SqlStore's writerStats().waiting), and that can fail a COMMIT or one
// statement on demand.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "StoreConformance.h"
#include "store/PostgresConnection.h"
#include "store/SqlConnectionPool.h"
#include "store/SqlStore.h"
#include "store/SqliteConnection.h"

using namespace ramp;
using namespace ramp::store;
using namespace ramp::store::test;
using namespace std::chrono_literals;

namespace {

// A writer connection with fault hooks around a real one.
class FaultyConnection final : public SqlConnection {
 public:
  explicit FaultyConnection(std::unique_ptr<SqlConnection> inner) : inner_(std::move(inner)) {}

  const SqlDialect& dialect() const override { return inner_->dialect(); }
  const std::string& where() const override { return inner_->where(); }
  Status ready() override { return inner_->ready(); }

  Result<SqlResult> run(std::string_view sql, const std::vector<SqlValue>& params) override {
    {
      std::unique_lock lk(mu_);
      if (holdNext_) {
        holdNext_ = false;
        holding_ = true;
        cv_.notify_all();
        cv_.wait(lk, [&] { return !holding_; });
      }
      if (!failStatement_.empty() && sql.find(failStatement_) != std::string_view::npos) {
        for (const auto& p : params) {
          if (const auto* t = std::get_if<std::string>(&p); t && *t == failParam_) {
            return unavailable("injected statement failure (test)", where());
          }
        }
      }
    }
    return inner_->run(sql, params);
  }

  Status script(const std::string& sql, std::string_view what) override {
    {
      std::lock_guard lk(mu_);
      if (sql == "COMMIT") {
        ++commitsSeen_;
        if (failCommits_ > 0) {
          --failCommits_;
          return unavailable(std::string(what) + ": injected COMMIT failure (test)", where());
        }
      }
    }
    return inner_->script(sql, what);
  }

  // The next statement run() waits until release(); returns at once.
  void holdNextStatement() {
    std::lock_guard lk(mu_);
    holdNext_ = true;
  }
  // Waits until a statement is being held.
  bool waitHeld(std::chrono::milliseconds limit) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, limit, [&] { return holding_; });
  }
  void release() {
    std::lock_guard lk(mu_);
    holding_ = false;
    cv_.notify_all();
  }
  void failNextCommits(int n) {
    std::lock_guard lk(mu_);
    failCommits_ = n;
  }
  // run() fails statements containing `sql` that have a text parameter `param`.
  void failStatement(std::string sql, std::string param) {
    std::lock_guard lk(mu_);
    failStatement_ = std::move(sql);
    failParam_ = std::move(param);
  }
  int commitsSeen() {
    std::lock_guard lk(mu_);
    return commitsSeen_;
  }

 private:
  std::unique_ptr<SqlConnection> inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool holdNext_ = false, holding_ = false;
  int failCommits_ = 0, commitsSeen_ = 0;
  std::string failStatement_, failParam_;
};

class GroupCommit : public StoreConformance {
 protected:
  // Batches bounded by `writes` only: a span of 30 s never ends one here.
  static WriteBatchLimits longSpan(size_t writes) { return WriteBatchLimits{writes, 30s}; }

  // A second store on the test's database whose writer is a FaultyConnection.
  void openFaulty(WriteBatchLimits limits) {
    const bool lite = GetParam() == "sqlite";
    const std::string target = lite ? (dir_ / "store.db").string() : url_;
    std::unique_ptr<SqlConnection> inner;
    SqlConnectionPool::Opener opener;
    if (lite) {
      auto c = SqliteConnection::open(target);
      ASSERT_TRUE(c) << c.error().describe();
      inner = std::move(*c);
      opener = [target]() -> Result<std::unique_ptr<SqlConnection>> {
        auto r = SqliteConnection::openReader(target);
        if (!r) return std::unexpected(r.error());
        return std::unique_ptr<SqlConnection>(std::move(*r));
      };
    } else {
      auto c = PostgresConnection::open(target);
      ASSERT_TRUE(c) << c.error().describe();
      inner = std::move(*c);
      opener = [target]() -> Result<std::unique_ptr<SqlConnection>> {
        auto r = PostgresConnection::open(target, PostgresConnection::Access::kReadOnly);
        if (!r) return std::unexpected(r.error());
        return std::unique_ptr<SqlConnection>(std::move(*r));
      };
    }
    auto faulty = std::make_unique<FaultyConnection>(std::move(inner));
    conn_ = faulty.get();
    auto pool = std::make_unique<SqlConnectionPool>(std::move(opener), 8, 10'000ms, "store test");
    sql_ = std::make_unique<SqlStore>(std::move(faulty), std::move(pool), limits);
    ASSERT_TRUE(sql_->migrate());
  }

  // Waits until `n` writes are queued behind the one being held.
  void waitQueued(size_t n) {
    auto until = std::chrono::steady_clock::now() + 20s;
    while (sql_->writerStats().waiting < n && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(2ms);
    }
    ASSERT_EQ(sql_->writerStats().waiting, n);
  }

  // Starts a write that the writer holds at its first statement; returns
  // once it is held (the batch's leader is in it).
  std::thread heldWrite(Status& out, const std::string& key) {
    conn_->holdNextStatement();
    std::thread t([this, &out, key] { out = sql_->putSetting(key, "v"); });
    EXPECT_TRUE(conn_->waitHeld(20s)) << "the write never reached the writer";
    return t;
  }

  // Queues one writer per entry of `results` behind the held leader, in
  // this order: writer i inserts deployment d-i with its created event and
  // puts the answer in results[i]. Join them after release().
  std::vector<std::thread> queueDeploymentWriters(std::vector<Status>& results) {
    std::vector<std::thread> writers;
    for (size_t i = 0; i < results.size(); ++i) {
      writers.emplace_back([this, &results, i] {
        const std::string id = "d-" + std::to_string(i);
        auto d = deployment(id, "svc" + std::to_string(i), "prod", "queued", kT0);
        results[i] = sql_->insertDeployment(d, std::nullopt, {created(id)});
      });
      waitQueued(i + 1);
    }
    return writers;
  }

  AuditEventInput created(const std::string& id) {
    AuditEventInput e;
    e.time = kT0;
    e.actor = "test";
    e.kind = "deployment.created";
    e.service = "svc-" + id;
    e.env = "prod";
    e.deploymentId = id;
    e.data = Json{{"id", id}};
    return e;
  }

  FaultyConnection* conn_ = nullptr;
  std::unique_ptr<SqlStore> sql_;
};

TEST_P(GroupCommit, ConcurrentWritersEachSeeTheirOwnResult) {
  auto* sql = dynamic_cast<SqlStore*>(store_.get());
  ASSERT_NE(sql, nullptr);
  const WriteStats before = sql->writerStats();
  constexpr int kThreads = 8, kRounds = 20;
  std::atomic<int> wrong{0};
  std::mutex mu;
  std::string firstProblem;
  auto problem = [&](const std::string& what) {
    ++wrong;
    std::lock_guard lk(mu);
    if (firstProblem.empty()) firstProblem = what;
  };
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kRounds; ++i) {
        const std::string id = fmt::format("d-{}-{}", t, i);
        auto d = deployment(id, "svc" + std::to_string(t), "prod", "queued", kT0 + i);
        if (auto st = store_->insertDeployment(d, std::nullopt, {created(id)}); !st) {
          return problem("insert " + id + ": " + st.error().describe());
        }
        d.state = "running";
        d.doc["step"] = i;
        if (auto st = store_->updateDeployment(d, std::nullopt); !st || d.revision != 2) {
          return problem("update " + id);
        }
        AuditEventInput e = created(id);
        e.kind = "test.mine";
        e.actor = "writer-" + std::to_string(t);
        e.data = Json{{"t", t}, {"i", i}};
        auto appended = store_->appendEvent(e);
        if (!appended) return problem("append " + id + ": " + appended.error().describe());
        // The event the store says it appended is the one at that seq.
        AuditFilter f;
        f.afterSeq = appended->seq - 1;
        f.limit = 1;
        auto back = store_->listEvents(f);
        if (!back || back->size() != 1 || back->front().seq != appended->seq ||
            back->front().hash != appended->hash || back->front().actor != e.actor ||
            back->front().data != e.data) {
          return problem("event " + std::to_string(appended->seq) + " is not " + id + "'s");
        }
        auto got = store_->getDeployment(id);
        if (!got || got->revision != 2 || got->doc.value("step", -1) != i) return problem("read back " + id);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0) << firstProblem;
  auto check = verifyStoredChain(*store_, 100);
  ASSERT_TRUE(check);
  EXPECT_TRUE(check->ok) << check->problem;
  EXPECT_EQ(check->count, kThreads * kRounds * 2);
  const WriteStats after = sql->writerStats();
  EXPECT_EQ(after.committedWrites - before.committedWrites, static_cast<uint64_t>(kThreads * kRounds * 3));
  EXPECT_LE(after.commits - before.commits, after.committedWrites - before.committedWrites);
  std::printf("[ info ] %lu writes in %lu commits, largest batch %lu\n",
              static_cast<unsigned long>(after.committedWrites - before.committedWrites),
              static_cast<unsigned long>(after.commits - before.commits),
              static_cast<unsigned long>(after.largestBatch));
}

TEST_P(GroupCommit, AFailedWriteInABatchLeavesNoRowsAndTheOthersCommit) {
  ASSERT_NO_FATAL_FAILURE(openFaulty(longSpan(32)));
  // d-3's audit insert fails after its deployment row was written.
  conn_->failStatement("INSERT INTO audit_events", "d-3");
  Status first = ok();
  std::thread leader = heldWrite(first, "first");
  constexpr int kWriters = 6;
  std::vector<Status> results(kWriters, ok());
  std::vector<std::thread> writers = queueDeploymentWriters(results);
  const WriteStats before = sql_->writerStats();
  conn_->release();
  leader.join();
  for (auto& w : writers) w.join();

  ASSERT_TRUE(first) << first.error().describe();
  for (int i = 0; i < kWriters; ++i) {
    const std::string id = "d-" + std::to_string(i);
    if (i == 3) {
      ASSERT_FALSE(results[i]) << "the failed write reported success";
      EXPECT_NE(results[i].error().message.find("injected statement failure"), std::string::npos)
          << results[i].error().describe();
      auto gone = store_->getDeployment(id);
      ASSERT_FALSE(gone) << "the failed write's deployment row stayed";
      EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
      auto events = store_->listEvents(byDeployment(id));
      ASSERT_TRUE(events);
      EXPECT_TRUE(events->empty());
      continue;
    }
    ASSERT_TRUE(results[i]) << id << ": " << results[i].error().describe();
    auto got = store_->getDeployment(id);
    ASSERT_TRUE(got) << id << ": " << got.error().describe();
    auto events = store_->listEvents(byDeployment(id));
    ASSERT_TRUE(events);
    EXPECT_EQ(events->size(), 1u) << id;
  }
  auto setting = store_->getSetting("first");
  ASSERT_TRUE(setting && *setting);
  // One transaction held them all, and the chain the others appended to is whole.
  const WriteStats after = sql_->writerStats();
  EXPECT_EQ(after.largestBatch, static_cast<uint64_t>(kWriters + 1));
  EXPECT_EQ(after.commits - before.commits, 1u);
  EXPECT_EQ(after.committedWrites - before.committedWrites, static_cast<uint64_t>(kWriters));
  EXPECT_EQ(after.failedWrites - before.failedWrites, 1u);
  auto check = verifyStoredChain(*store_);
  ASSERT_TRUE(check);
  EXPECT_TRUE(check->ok) << check->problem;
  EXPECT_EQ(check->count, kWriters - 1);
}

TEST_P(GroupCommit, ACommitFailureReachesEveryCallerOfTheBatch) {
  ASSERT_NO_FATAL_FAILURE(openFaulty(longSpan(32)));
  conn_->failNextCommits(1);
  Status first = ok();
  std::thread leader = heldWrite(first, "first");
  constexpr int kWriters = 5;
  std::vector<Status> results(kWriters, ok());
  std::vector<std::thread> writers = queueDeploymentWriters(results);
  conn_->release();
  leader.join();
  for (auto& w : writers) w.join();

  ASSERT_FALSE(first) << "the batch's leader thinks it committed";
  EXPECT_EQ(first.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(first.error().message.find("injected COMMIT failure"), std::string::npos) << first.error().describe();
  for (int i = 0; i < kWriters; ++i) {
    ASSERT_FALSE(results[i]) << "writer " << i << " thinks it committed";
    EXPECT_EQ(results[i].error().code, ErrorCode::kUnavailable);
    EXPECT_NE(results[i].error().message.find("none of them is committed"), std::string::npos)
        << results[i].error().describe();
    auto gone = store_->getDeployment("d-" + std::to_string(i));
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  }
  auto setting = store_->getSetting("first");
  ASSERT_TRUE(setting);
  EXPECT_FALSE(*setting);
  AuditFilter all;
  all.limit = 100;
  auto events = store_->listEvents(all);
  ASSERT_TRUE(events);
  EXPECT_TRUE(events->empty());
  const WriteStats stats = sql_->writerStats();
  EXPECT_EQ(stats.failedBatches, 1u);
  EXPECT_EQ(stats.largestBatch, static_cast<uint64_t>(kWriters + 1));

  // The writer recovers: the next writes commit.
  auto d = deployment("d-after", "svc", "prod", "queued", kT0);
  ASSERT_TRUE(sql_->insertDeployment(d, std::nullopt, {created("d-after")}));
  EXPECT_TRUE(store_->getDeployment("d-after"));
  auto check = verifyStoredChain(*store_);
  ASSERT_TRUE(check);
  EXPECT_TRUE(check->ok) << check->problem;
  EXPECT_EQ(check->count, 1);
}

TEST_P(GroupCommit, ALoneWriterCommitsAtOnceAndLeasesAreNeverBatched) {
  // A span of 30 s: a writer that waited for company would take that long.
  ASSERT_NO_FATAL_FAILURE(openFaulty(longSpan(32)));
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(sql_->putSetting("alone", "1"));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  const int commitsBefore = conn_->commitsSeen();

  // Held: a setting; queued: a setting, a lease acquire, a setting.
  Status first = ok(), second = ok(), fourth = ok();
  Result<Lease> lease = std::unexpected(Error{});
  std::thread leader = heldWrite(first, "s1");
  std::thread b([&] { second = sql_->putSetting("s2", "v"); });
  waitQueued(1);
  std::thread c([&] { lease = sql_->acquireLease("controller", "node-a", 60'000, kT0); });
  waitQueued(2);
  std::thread d([&] { fourth = sql_->putSetting("s4", "v"); });
  waitQueued(3);
  const WriteStats before = sql_->writerStats();
  conn_->release();
  for (auto* t : {&leader, &b, &c, &d}) t->join();
  ASSERT_TRUE(first && second && fourth);
  ASSERT_TRUE(lease) << lease.error().describe();
  EXPECT_EQ(lease->epoch, 1);
  const WriteStats after = sql_->writerStats();
  // [s1, s2] then [lease] alone then [s4]: three commits for four writes.
  EXPECT_EQ(conn_->commitsSeen() - commitsBefore, 3);
  EXPECT_EQ(after.commits - before.commits, 3u);
  EXPECT_EQ(after.largestBatch, 2u);
  auto held = store_->getLease("controller");
  ASSERT_TRUE(held && *held);
  EXPECT_EQ((*held)->owner, "node-a");
}

TEST_P(GroupCommit, FencesAreCheckedPerWriteInsideABatch) {
  ASSERT_NO_FATAL_FAILURE(openFaulty(longSpan(32)));
  auto d = deployment("d-1", "web", "prod", "queued", kT0);
  ASSERT_TRUE(sql_->insertDeployment(d, std::nullopt));
  auto e = deployment("d-2", "api", "prod", "queued", kT0);
  ASSERT_TRUE(sql_->insertDeployment(e, std::nullopt));
  auto a = sql_->acquireLease("controller", "node-a", 1'000, kT0);
  ASSERT_TRUE(a);
  auto b = sql_->acquireLease("controller", "node-b", 60'000, kT0 + 5'000);  // a expired: b takes over
  ASSERT_TRUE(b);
  ASSERT_EQ(b->epoch, a->epoch + 1);

  // One batch: the deposed leader's fenced write, then the new leader's.
  Status first = ok(), stale = ok(), current = ok();
  std::thread leader = heldWrite(first, "first");
  std::thread deposed([&] {
    auto w = d;
    w.state = "running";
    stale = sql_->updateDeployment(w, Fence{"controller", a->epoch}, {created("d-1")});
  });
  waitQueued(1);
  std::thread fresh([&] {
    auto w = e;
    w.state = "running";
    current = sql_->updateDeployment(w, Fence{"controller", b->epoch}, {created("d-2")});
  });
  waitQueued(2);
  const WriteStats before = sql_->writerStats();
  conn_->release();
  for (auto* t : {&leader, &deposed, &fresh}) t->join();

  ASSERT_TRUE(first);
  ASSERT_FALSE(stale) << "a deposed leader's write went through";
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  ASSERT_TRUE(current) << current.error().describe();
  EXPECT_EQ(sql_->writerStats().commits - before.commits, 1u);
  auto d1 = store_->getDeployment("d-1");
  ASSERT_TRUE(d1);
  EXPECT_EQ(d1->state, "queued");
  EXPECT_EQ(d1->revision, 1);
  auto d2 = store_->getDeployment("d-2");
  ASSERT_TRUE(d2);
  EXPECT_EQ(d2->state, "running");
  auto events = store_->listEvents(byDeployment("d-1"));
  ASSERT_TRUE(events);
  EXPECT_TRUE(events->empty()) << "the fenced-out write's event stayed";
}

TEST_P(GroupCommit, ABatchStopsAtItsWriteCount) {
  ASSERT_NO_FATAL_FAILURE(openFaulty(longSpan(3)));
  Status first = ok();
  std::thread leader = heldWrite(first, "first");
  constexpr int kWriters = 7;
  std::vector<Status> results(kWriters, ok());
  std::vector<std::thread> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.emplace_back([&, i] { results[i] = sql_->putSetting("k" + std::to_string(i), "v"); });
    waitQueued(static_cast<size_t>(i + 1));
  }
  const WriteStats before = sql_->writerStats();
  conn_->release();
  leader.join();
  for (auto& w : writers) w.join();
  ASSERT_TRUE(first);
  for (auto& r : results) ASSERT_TRUE(r) << r.error().describe();
  const WriteStats after = sql_->writerStats();
  EXPECT_EQ(after.largestBatch, 3u);
  EXPECT_EQ(after.commits - before.commits, 3u);  // 8 writes: 3 + 3 + 2
}

INSTANTIATE_TEST_SUITE_P(Backends, GroupCommit, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

}  // namespace
