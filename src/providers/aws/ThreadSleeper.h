// ThreadSleeper.h — the production Sleeper: blocks the calling thread.
#pragma once

#include "providers/aws/Sleeper.h"

namespace ramp::providers::aws {

class ThreadSleeper final : public Sleeper {
 public:
  void sleepFor(Millis d) override;
  static ThreadSleeper& instance();
};

}  // namespace ramp::providers::aws
