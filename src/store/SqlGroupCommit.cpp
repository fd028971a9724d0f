#include "store/SqlGroupCommit.h"

#include <algorithm>
#include <optional>
#include <vector>

#include <fmt/format.h>

namespace ramp::store {

namespace {

constexpr const char* kSavepoint = "SAVEPOINT ramp_write";
constexpr const char* kRelease = "RELEASE SAVEPOINT ramp_write";
constexpr const char* kRollbackTo = "ROLLBACK TO SAVEPOINT ramp_write";

size_t bucketOf(size_t writes) {
  size_t b = 0;
  for (size_t n = writes; n > 1 && b < 5; n /= 2) ++b;
  return b;
}

// The error every caller of a batch that could not commit gets.
Error batchError(const Error& e, size_t writes) {
  Error out = e;
  if (writes > 1) out.message += fmt::format(" (a transaction shared by {} writes: none of them is committed)", writes);
  return out;
}

}  // namespace

SqlGroupCommit::SqlGroupCommit(SqlConnection& conn, std::mutex& connMu, WriteBatchLimits limits)
    : conn_(conn), connMu_(connMu), limits_(limits) {
  if (limits_.maxWrites == 0) limits_.maxWrites = 1;
}

Status SqlGroupCommit::run(const Body& body, bool solo) {
  Job job;
  job.body = &body;
  job.solo = solo;
  std::unique_lock lk(mu_);
  queue_.push_back(&job);
  while (!job.done) {
    if (!leading_) {
      lead(lk);  // runs the batch at the head of the queue (ours, or one before it)
      continue;
    }
    cv_.wait(lk);
  }
  lk.unlock();
  if (job.thrown) std::rethrow_exception(job.thrown);
  return job.outcome;
}

WriteStats SqlGroupCommit::stats() const {
  std::lock_guard lk(mu_);
  WriteStats s = stats_;
  s.waiting = queue_.size();
  return s;
}

void SqlGroupCommit::lead(std::unique_lock<std::mutex>& lk) {
  leading_ = true;
  lk.unlock();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<Job*> ended;
  WriteStats delta;
  {
    std::lock_guard conn(connMu_);
    runBatch(ended, delta);
  }
  const auto busy = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
  lk.lock();
  for (Job* j : ended) j->done = true;  // outcomes were written before; read by their callers under mu_
  stats_.commits += delta.commits;
  stats_.committedWrites += delta.committedWrites;
  stats_.failedWrites += delta.failedWrites;
  stats_.failedBatches += delta.failedBatches;
  stats_.largestBatch = std::max(stats_.largestBatch, delta.largestBatch);
  for (size_t i = 0; i < 6; ++i) stats_.batchesOf[i] += delta.batchesOf[i];
  stats_.busyMicros += static_cast<uint64_t>(busy.count());
  leading_ = false;
  cv_.notify_all();
}

SqlGroupCommit::Job* SqlGroupCommit::take(size_t taken, std::chrono::steady_clock::time_point begun) {
  std::lock_guard lk(mu_);
  if (queue_.empty()) return nullptr;
  Job* next = queue_.front();
  if (taken > 0) {
    if (next->solo || taken >= limits_.maxWrites) return nullptr;
    if (std::chrono::steady_clock::now() - begun >= limits_.maxSpan) return nullptr;
  }
  queue_.pop_front();
  return next;
}

bool SqlGroupCommit::runBody(Job& job) {
  job.ran = true;
  try {
    job.succeeded = (*job.body)(conn_);
  } catch (...) {
    job.thrown = std::current_exception();
    job.succeeded = false;
  }
  return job.succeeded;
}

void SqlGroupCommit::runBatch(std::vector<Job*>& ended, WriteStats& delta) {
  Job* first = take(0, {});
  if (!first) return;
  ended.push_back(first);
  if (auto st = conn_.ready(); !st) {
    first->outcome = std::unexpected(st.error());
    return;
  }
  if (auto st = conn_.script(conn_.dialect().beginWrite, "beginning a write transaction"); !st) {
    first->outcome = std::unexpected(st.error());
    return;
  }
  const auto begun = std::chrono::steady_clock::now();

  if (first->solo) {  // its own transaction, as before group commit
    delta.batchesOf[0] = 1;
    delta.largestBatch = 1;
    if (!runBody(*first)) {
      (void)conn_.script("ROLLBACK", "rolling back");
      delta.failedWrites = 1;
      return;
    }
    if (auto st = conn_.script("COMMIT", "committing"); !st) {
      (void)conn_.ready();  // rolls back whatever is left open
      first->outcome = std::unexpected(st.error());
      delta.failedBatches = 1;
      return;
    }
    delta.commits = 1;
    delta.committedWrites = 1;
    return;
  }

  size_t succeeded = 0;
  std::optional<Error> broken;  // the shared transaction cannot commit
  for (Job* job = first; job != nullptr; job = take(ended.size(), begun)) {
    if (job != first) ended.push_back(job);
    if (auto st = conn_.script(kSavepoint, "starting a write in the shared transaction"); !st) {
      broken = st.error();
      break;
    }
    if (runBody(*job)) {
      if (auto st = conn_.script(kRelease, "ending a write in the shared transaction"); !st) {
        broken = st.error();
        break;
      }
      ++succeeded;
      continue;
    }
    ++delta.failedWrites;
    // Only this write's rows go; the transaction goes on for the others.
    auto st = conn_.script(kRollbackTo, "rolling back a failed write in the shared transaction");
    if (st) st = conn_.script(kRelease, "ending a failed write in the shared transaction");
    if (!st) {
      broken = st.error();
      break;
    }
  }
  delta.batchesOf[bucketOf(ended.size())] = 1;
  delta.largestBatch = ended.size();

  if (!broken && succeeded == 0) {  // nothing to keep: no COMMIT, no fsync
    (void)conn_.script("ROLLBACK", "rolling back");
    return;
  }
  if (!broken) {
    if (auto st = conn_.script("COMMIT", "committing"); !st) broken = st.error();
  }
  if (broken) {
    (void)conn_.ready();  // rolls back whatever is left open
    ++delta.failedBatches;
    const Error e = batchError(*broken, ended.size());
    for (Job* j : ended) {
      // A body that failed keeps its own error (its rows are gone either
      // way); every other caller learns that its write is not committed.
      if (!j->ran || j->succeeded) j->outcome = std::unexpected(e);
    }
    return;
  }
  delta.commits = 1;
  delta.committedWrites = succeeded;
}

}  // namespace ramp::store
