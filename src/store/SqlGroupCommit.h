// SqlGroupCommit.h — the store's writer: concurrent writes share one COMMIT
// (group commit, issue #20).
//
// SqlStore writes through ONE connection. With one transaction per write,
// each write paid its own COMMIT (SQLite synchronous=FULL: an fsync), and the
// controller's 8 engine workers + the API queued behind each other's fsync
// (the writer was ~90% busy at the controller bench's capacity). Here the
// callers that are waiting for the writer at the same time share one
// transaction and one COMMIT, each inside its own SAVEPOINT:
//
//   a caller queues its write and waits; the first waiting caller when the
//   writer is free becomes the leader: it takes the writer connection,
//   BEGINs, and runs the queued writes one after the other (its own and
//   others', in arrival order), each as
//       SAVEPOINT ramp_write; <body>; RELEASE SAVEPOINT ramp_write
//   or, when the body fails,
//       ROLLBACK TO SAVEPOINT ramp_write; RELEASE SAVEPOINT ramp_write
//   then ONE COMMIT, and wakes every caller of the batch.
//
// Contract (what each caller of run() can rely on):
//  - Atomic and isolated as before: a write's body runs alone on the
//    connection (one at a time, in queue order), so it sees exactly the rows
//    of the writes before it in the same batch (e.g. an audit append reads
//    the head its predecessor in the batch wrote) and of earlier commits; a
//    batch is equivalent to running its writes one after the other and
//    committing them together.
//  - A body that fails is rolled back to its savepoint: none of its rows
//    stay, its error is its caller's alone, and the others of the batch go on.
//  - run() returns ok only once the COMMIT that holds the write has
//    succeeded (SQLite synchronous=FULL: it is on disk). If the batch cannot
//    commit (COMMIT fails, or a SAVEPOINT/RELEASE/ROLLBACK TO fails, e.g. the
//    connection broke or SQLite rolled the whole transaction back), every
//    caller whose body had succeeded in it gets that error (none of them may
//    think it committed) and the transaction is rolled back; writes not yet
//    run go back to the head of the queue for the next batch.
//  - A batch with no successful body is rolled back, not committed (no fsync).
//  - Solo writes (`solo` = true: migrations, lease acquire/renew/release) run
//    alone in their own transaction, without a savepoint, as before: never
//    batched with others.
//  - Bounded: a leader adds queued writes to its open transaction only while
//    it holds fewer than `maxWrites` and less than `maxSpan` has passed since
//    its BEGIN; it never waits for writes to arrive: a lone writer commits at
//    once, and writes that arrive during a COMMIT form the next batch.
//  - A body that throws is rolled back to its savepoint like a failed one;
//    the exception is rethrown in its caller's thread.
//  - Thread-safe. The connection is used under `connMu` (the store also
//    takes it to read on the writer when it has no read pool).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <vector>

#include "core/Result.h"
#include "store/SqlConnection.h"

namespace ramp::store {

// The defaults (openStore): at most 32 writes per transaction (below
// PostgreSQL's 64 cached subtransactions per session: a transaction with
// more writing savepoints makes other sessions' snapshots slower), and no
// write joins a transaction begun more than 5 ms ago (bounds how long the
// batch's first caller waits for later callers' bodies; a body is
// ~0.1–0.5 ms, a COMMIT with fsync ~1.5–7 ms on the bench machine).
struct WriteBatchLimits {
  size_t maxWrites = 32;
  std::chrono::microseconds maxSpan{5'000};
};

// Counters since the store opened (for benches and tests).
struct WriteStats {
  uint64_t commits = 0;          // transactions committed
  uint64_t committedWrites = 0;  // writes committed in them (successful bodies)
  uint64_t failedWrites = 0;     // bodies that failed (rolled back to their savepoint, or solo rolled back)
  uint64_t failedBatches = 0;    // transactions that could not commit (every caller in them got the error)
  uint64_t largestBatch = 0;     // most writes run in one transaction
  uint64_t batchesOf[6] = {};    // transactions by writes run: 1, 2–3, 4–7, 8–15, 16–31, 32+
  uint64_t busyMicros = 0;       // time the leader held the writer connection
  size_t waiting = 0;            // writes queued now, not yet taken by a leader
};

class SqlGroupCommit {
 public:
  // One caller's write: runs on the leader's thread inside the transaction;
  // returns whether it succeeded (its result is kept by the caller).
  using Body = std::function<bool(SqlConnection&)>;

  SqlGroupCommit(SqlConnection& conn, std::mutex& connMu, WriteBatchLimits limits);
  SqlGroupCommit(const SqlGroupCommit&) = delete;
  SqlGroupCommit& operator=(const SqlGroupCommit&) = delete;

  // Runs `body` in a write transaction (shared with other callers' unless
  // `solo`). ok: the body ran and its outcome is final (committed if it
  // returned true, rolled back if false). An error: the write is not
  // committed (the body may or may not have run).
  Status run(const Body& body, bool solo);

  WriteStats stats() const;

 private:
  struct Job {
    const Body* body = nullptr;
    bool solo = false;
    bool done = false;
    bool ran = false;        // the body ran
    bool succeeded = false;  // the body returned true
    Status outcome = ok();
    std::exception_ptr thrown;
  };

  void lead(std::unique_lock<std::mutex>& lk);
  // Runs the batch at the head of the queue under connMu_; `ended` gets
  // its jobs (outcomes set), `delta` its counts.
  void runBatch(std::vector<Job*>& ended, WriteStats& delta);
  Job* take(size_t taken, std::chrono::steady_clock::time_point begun);
  bool runBody(Job& job);

  SqlConnection& conn_;
  std::mutex& connMu_;
  WriteBatchLimits limits_;
  mutable std::mutex mu_;          // the queue, leading_, jobs' done/outcome, stats_
  std::condition_variable cv_;     // a batch ended
  std::deque<Job*> queue_;         // guarded by mu_
  bool leading_ = false;           // guarded by mu_: a leader is running a batch
  WriteStats stats_;               // guarded by mu_
};

}  // namespace ramp::store
