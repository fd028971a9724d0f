#include "providers/aws/ThreadSleeper.h"

#include <thread>

namespace ramp::providers::aws {

void ThreadSleeper::sleepFor(Millis d) {
  if (d.count() > 0) std::this_thread::sleep_for(d);
}

ThreadSleeper& ThreadSleeper::instance() {
  static ThreadSleeper s;
  return s;
}

}  // namespace ramp::providers::aws
