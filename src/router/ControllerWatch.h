// ControllerWatch.h — the router brings its home's controller back.
//
// The router outlives the controller (it keeps serving with its last
// configuration), so it is the natural watcher of it: while the home's
// controller is supervised (core/ControllerLife.h: controller.supervised
// exists) and no controller of the home is alive (controller.alive is not
// held), it starts the recorded command again under the start lock, so a
// CLI starting one at the same moment never makes a second. The controller
// in turn brings the router back (server/Controller.cpp), so the death of
// either one heals without a person or a CLI call; docs/controller.md
// ("Supervision") has the design and its limits.
//
// Looks every `every` (default 250 ms) on a thread of its own (never on the
// data plane's io thread). A controller that dies again within 10 s of being
// started is started again after a growing pause (1 s, 2 s, … 30 s), so a
// controller that cannot start (a broken store) does not fork in a loop;
// every start and every failure is logged. RAMP_FAILPOINT and
// RAMP_FAILPOINT_RANDOM are removed from the restarted controller's
// environment (a failpoint is armed for one process, by a test).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

namespace ramp::router {

class ControllerWatch {
 public:
  explicit ControllerWatch(std::filesystem::path home,
                           std::chrono::milliseconds every = std::chrono::milliseconds(250));
  ~ControllerWatch();  // stops, and waits for a start in progress to finish
  void start();
  // Stops looking; returns at once (safe on the io thread). Idempotent.
  void stop();

 private:
  void run();
  std::filesystem::path home_;
  std::chrono::milliseconds every_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ramp::router
