// BuildCommand.cpp — see BuildCommand.h.
#include "release/BuildCommand.h"

#include "core/Subprocess.h"

namespace ramp::release {
namespace fs = std::filesystem;

Status BuildCommand::run(const fs::path& workdir, const std::string& command,
                         const std::string& version, const Options& options) const {
  if (command.empty()) return invalid("build command is empty");
  ShellCommand cmd;
  cmd.command = command;
  cmd.workdir = workdir;
  cmd.env = {{"RAMP_RELEASE_VERSION", version}};
  cmd.timeout = options.timeout;
  cmd.stdoutToStderr = options.stdoutToStderr;
  auto exit = runShell(cmd, clock_);
  if (!exit) {
    if (exit.error().code == ErrorCode::kNotFound) return notFound("build directory does not exist", workdir.string());
    return internal("cannot start build: " + exit.error().message);
  }
  switch (exit->how) {
    case CommandExit::How::kExited:
      if (exit->code == 0) return ok();
      return failedPrecondition("build command `" + command + "` failed with exit code " + std::to_string(exit->code),
                                workdir.string());
    case CommandExit::How::kSignalled:
      return failedPrecondition("build command `" + command + "` was killed by signal " + std::to_string(exit->code),
                                workdir.string());
    case CommandExit::How::kTimedOut:
    case CommandExit::How::kCancelled:
      break;
  }
  return failedPrecondition("build command `" + command + "` timed out after " +
                                std::to_string(options.timeout.count()) + " ms and was stopped",
                            workdir.string());
}

}  // namespace ramp::release
