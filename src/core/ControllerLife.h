// ControllerLife.h — whether a home's controller (`ramp serve`) is alive,
// and bringing it back when it dies.
//
// Files in the home:
//   controller.alive       a running controller holds a shared flock on it
//                          for its whole life (several may: followers of a
//                          shared store). The kernel drops it when the
//                          process dies, however it dies: no pid to trust,
//                          no stale state. running() probes it. It holds
//                          the sha256 of the store URL its controllers
//                          opened: one home, one store (hold() refuses a
//                          controller of another store while one lives).
//   controller.join.lock   flock serialising hold(): the check "who lives
//                          here, on which store" and taking the life are
//                          one step.
//   controller.supervised  {"argv":[...],"pid":N}: written by a supervised
//                          controller when it starts; removed by it when it
//                          stops on purpose (SIGTERM, `ramp down`). While it exists and no controller is
//                          alive, the home's watchers (the router's
//                          ControllerWatch, the CLI) start `argv` again.
//   controller.start.lock  flock serialising start(): whoever starts a
//                          controller (CLI, router) checks running() under
//                          it, so two starters never start two controllers.
//   controller.log         stdout/stderr of controllers started here.
// docs/controller.md ("Supervision") has the whole design.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/Result.h"

namespace ramp {

class ControllerLife {
 public:
  // Taken by `ramp serve` before anything else and kept until it exits.
  // `storeUrl` is the store this controller opens. kFailedPrecondition when
  // a controller of this home is alive on another store (two controllers of
  // one home on two stores would share its seal, its router and its
  // controller.json: a CLI started with no --store while `ramp serve
  // --store URL` was still starting made one on the home's SQLite).
  static Result<ControllerLife> hold(const std::filesystem::path& home, const std::string& storeUrl);
  ControllerLife(ControllerLife&& other) noexcept;
  ControllerLife& operator=(ControllerLife&&) = delete;
  ~ControllerLife();

  // From now on the home's watchers restart this controller with `argv`
  // (argv[0] = the ramp binary) whenever it dies.
  Status supervise(const std::vector<std::string>& argv);
  // It stops on purpose: the watchers leave it stopped. Removes the marker
  // only if this process wrote it (another controller may have since).
  void unsupervise();

  // True when a controller of `home` is alive.
  static bool running(const std::filesystem::path& home);
  // The command of the home's supervised controller, if one is supervised.
  static std::optional<std::vector<std::string>> supervisedCommand(const std::filesystem::path& home);
  // Under controller.start.lock: when no controller of `home` is alive,
  // starts `argv` detached (core/DetachedProcess.h; output appended to
  // controller.log, RAMP_HOME set to `home`, `env` changes applied) and
  // waits up to `wait` until it holds its life. true = started one, false =
  // one was alive already. kUnavailable (naming controller.log, with its
  // tail) when it did not come alive in time.
  static Result<bool> start(const std::filesystem::path& home, const std::vector<std::string>& argv,
                            std::chrono::milliseconds wait,
                            const std::map<std::string, std::optional<std::string>>& env = {});

 private:
  ControllerLife(std::filesystem::path home, int fd) : home_(std::move(home)), fd_(fd) {}
  std::filesystem::path home_;
  int fd_ = -1;
};

}  // namespace ramp
