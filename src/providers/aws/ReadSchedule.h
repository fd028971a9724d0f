// ReadSchedule.h — when an answer the AWS providers remember must be read
// from AWS again (the "quiet controller": docs/aws.md, "API calls").
//
// The engine asks for a fleet's health and an entry point's applied weights
// on every tick (100 ms); answering each from AWS spends the account's API
// budget (shared with everything else the account runs) on answers that do
// not change. The providers remember what they read and wrote, keyed by
// what it describes, and read AWS again only when:
//   - they wrote it themselves (changed): the next look reads it, which is
//     the verification of the change;
//   - the last answer was busy (a fleet starting, weights not yet in
//     effect): again after `busy` (default 1 s);
//   - it was steady: again after `steady` (default 60 s), give or take
//     `jitter` (10 %, fixed per key, so that many keys do not all come due
//     in the same second).
// Periods from the environment: RAMP_AWS_STEADY_READ and RAMP_AWS_BUSY_READ
// (durations like "60s", "500ms"). Pure decisions over the injected Clock's
// monotonic time. Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "core/Clock.h"

namespace ramp::providers::aws {

class ReadSchedule {
 public:
  struct Periods {
    std::chrono::milliseconds busy{1000};
    std::chrono::milliseconds steady{60000};
    double jitter = 0.1;
  };
  // Defaults overridden by RAMP_AWS_STEADY_READ / RAMP_AWS_BUSY_READ.
  static Periods fromEnvironment();

  explicit ReadSchedule(Clock& clock, Periods periods = fromEnvironment());

  // True when `key` has no remembered answer, was changed, or its time passed.
  bool due(const std::string& key) const;
  // A fresh answer was read just now; steady = nothing is expected to move.
  void read(const std::string& key, bool steady);
  // ramp changed it: the next look reads it from AWS.
  void changed(const std::string& key);
  void forget(const std::string& key);
  // Every key is due (something changed that any answer may depend on).
  void forgetAll();

  // The period a steady key waits, jitter included (for tests and docs).
  std::chrono::milliseconds steadyPeriodOf(const std::string& key) const;
  const Periods& periods() const { return periods_; }

 private:
  Clock& clock_;
  Periods periods_;
  mutable std::mutex mu_;
  std::map<std::string, MonoTime> dueAt_;
};

}  // namespace ramp::providers::aws
