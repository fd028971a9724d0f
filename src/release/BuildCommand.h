// BuildCommand.h — runs a service's build command for a release.
//
// BuildCommand::run executes `sh -c <command>` in `workdir` with
// RAMP_RELEASE_VERSION=<version> added to the environment; the command's
// stderr is passed through, and so is its stdout unless `stdoutToStderr`
// (used when ramp's own stdout carries JSON). It waits for the command,
// bounded by `timeout` (measured on the injected clock's monotonic time): on
// expiry the command's process group gets SIGTERM, then SIGKILL.
//
// Errors: kNotFound naming workdir when it does not exist; kFailedPrecondition
// "build command `...` failed with exit code N" (or "killed by signal S",
// "timed out after ..."); kInternal when fork fails.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "core/Clock.h"
#include "core/Result.h"

namespace ramp::release {

class BuildCommand {
 public:
  struct Options {
    std::chrono::milliseconds timeout{std::chrono::minutes(30)};
    bool stdoutToStderr = false;
  };

  explicit BuildCommand(Clock& clock) : clock_(clock) {}

  Status run(const std::filesystem::path& workdir, const std::string& command,
             const std::string& version, const Options& options) const;

 private:
  Clock& clock_;
};

}  // namespace ramp::release
