// Strands.h — deployments advanced side by side: a bounded pool of worker
// threads running jobs posted on strands. A strand is a key (the engine
// uses service + environment): its jobs run one at a time, in the order
// posted, never two at once; jobs of different strands run in parallel, up
// to `workers` at a time. So one deployment in a 60 s smoke test or an AWS
// rate-limit wait holds one worker and its own strand, and delays nothing
// else while a worker is free.
//
// post() never blocks (the queue is unbounded; the engine posts at most one
// job per idle strand per tick). stop() refuses new jobs, lets the running
// ones finish (each ends: a phase never waits on a person or a timer, and
// every provider call and command has a timeout) and joins the workers;
// jobs queued but not started are dropped (the next tick of the next
// leader runs them again: every phase is idempotent). With 0 workers,
// post() runs the job at once on the caller's thread (tests: ticks stay
// synchronous).
//
// A job must not throw (the engine's jobs catch and report). stop() must
// not be called from a job (it joins the workers).
//
// Thread-safety: thread-safe; one mutex over the queues, never held while
// a job runs.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ramp::engine {

class Strands {
 public:
  explicit Strands(size_t workers);
  ~Strands();
  Strands(const Strands&) = delete;
  Strands& operator=(const Strands&) = delete;

  // Queues `job` on `key`'s strand. false when stopped (nothing queued).
  bool post(const std::string& key, std::function<void()> job);
  // Queues `job` only when `key` has nothing queued or running; false otherwise.
  bool postIfIdle(const std::string& key, std::function<void()> job);
  // Has `key` a job queued or running?
  bool busy(const std::string& key);
  // Jobs queued or running, over all strands.
  size_t pending();
  // Waits until no job is queued or running (or stop()).
  void waitIdle();
  // Waits until `key` has no job queued or running (or stop()).
  void waitIdle(const std::string& key);
  // No new jobs; running ones finish; queued ones are dropped; workers joined.
  void stop();
  bool synchronous() const { return synchronous_; }

 private:
  void work();
  // post() and, with onlyWhenIdle, postIfIdle().
  bool queue(const std::string& key, std::function<void()> job, bool onlyWhenIdle);
  // busy() with mu_ held.
  bool busyLocked(const std::string& key) const;

  const bool synchronous_;  // 0 workers: jobs run in post()
  std::mutex mu_;
  std::condition_variable ready_;  // a strand became runnable, or stop
  std::condition_variable idle_;   // a job ended
  bool stopping_ = false;
  // Per strand: its queued jobs and whether one runs now.
  struct Strand {
    std::deque<std::function<void()>> jobs;
    bool running = false;
  };
  std::map<std::string, Strand> strands_;
  std::deque<std::string> runnable_;  // strands with jobs and none running, in order
  size_t pending_ = 0;
  std::mutex joinMu_;  // held by stop() while it joins; guards threads_ after construction
  std::vector<std::thread> threads_;
};

}  // namespace ramp::engine
