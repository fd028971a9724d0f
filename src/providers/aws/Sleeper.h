// Sleeper.h — how the AWS client waits (backoff, rate budgets), injected.
//
// Production uses ThreadSleeper (really sleeps); unit tests pass a sleeper
// that advances a ManualClock instead, so retry and budget tests never wait
// on the wall clock. Implementations must be thread-safe.
#pragma once

#include "core/Clock.h"

namespace ramp::providers::aws {

class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual void sleepFor(Millis d) = 0;
};

}  // namespace ramp::providers::aws
