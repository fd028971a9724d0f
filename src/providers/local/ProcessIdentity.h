// ProcessIdentity.h — a process named by pid AND start time, never by a bare pid.
//
// Pids are reused. A process recorded on disk (an instance, its shim) is
// identified by its pid plus its start time (field 22 of /proc/PID/stat, in
// clock ticks since boot). `alive()` is true only when a process with that
// pid exists now, has exactly that start time and is not a zombie; signals
// are sent only after that check, so ramp never signals a stranger that
// happens to have inherited a recorded pid.
//
// Linux only (reads /proc).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace ramp::providers {

struct ProcessIdentity {
  int64_t pid = 0;
  uint64_t startTime = 0;  // /proc/PID/stat field 22

  // The identity of the running process `pid`, or nullopt if there is none
  // (or it is a zombie).
  static std::optional<ProcessIdentity> of(int64_t pid);
  // The identity of this process.
  static ProcessIdentity self();

  bool valid() const { return pid > 0 && startTime > 0; }
  // A process with this pid and this start time runs now (zombies do not count).
  bool alive() const;
  // Sends `sig` to the process if alive(); returns whether it was sent.
  bool signal(int sig) const;
  // Sends `sig` to this process's process group (its own when it leads one;
  // a sandboxed instance's is the sandbox's), if it is alive(); returns
  // whether it was sent.
  bool signalGroup(int sig) const;

  bool operator==(const ProcessIdentity&) const = default;
};

}  // namespace ramp::providers
