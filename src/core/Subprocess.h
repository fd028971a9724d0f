// Subprocess.h — runs a shell command to its end: the one place ramp forks a
// command and waits for it (release builds, smoke tests).
//
// `sh -c COMMAND` in its own process group, in `workdir` (empty = the
// current directory), with `env` added to ramp's environment; stdout goes to
// ramp's stdout, or to its stderr with `stdoutToStderr` (when ramp's stdout
// carries JSON). Waits (polling every 20 ms on the clock's monotonic time)
// until it exits, `timeout` passes, or `cancel` becomes true: then the whole
// group gets SIGTERM and, 2 s later, SIGKILL. Never waits longer than
// timeout + 2 s.
//
// Thread-safety: thread-safe (no shared state; each call waits for its own
// child only).
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "core/Clock.h"
#include "core/Result.h"

namespace ramp {

struct ShellCommand {
  std::string command;
  std::filesystem::path workdir;
  std::map<std::string, std::string> env;
  std::chrono::milliseconds timeout{60000};
  bool stdoutToStderr = false;
  const std::atomic<bool>* cancel = nullptr;  // optional: true = stop it now
};

struct CommandExit {
  enum class How { kExited, kSignalled, kTimedOut, kCancelled };
  How how = How::kExited;
  int code = 0;    // kExited: the exit code; kSignalled: the signal
  // The shell's convention: the exit code, 128 + signal, 124 timed out or
  // cancelled, 126 workdir unusable, 127 not started.
  int shellCode() const;
  // "exited 3", "was killed by signal 9", "timed out after N ms", "was cancelled".
  std::string describe(std::chrono::milliseconds timeout) const;
};

// kInvalid for an empty command; kNotFound naming a workdir that is not a
// directory; kInternal when fork fails.
Result<CommandExit> runShell(const ShellCommand& cmd, Clock& clock);

}  // namespace ramp
