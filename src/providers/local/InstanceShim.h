// InstanceShim.h — the per-instance supervisor process (`ramp instance-shim`).
//
// Like containerd-shim or conmon: one small process per instance, spawned
// detached by LocalFleetProvider (its own session and process group), so
// instances outlive the controller. The shim:
//   1. reads launch.json from its instance directory (InstanceLaunch);
//   2. verifies the release tree digest (release::treeDigest) against the
//      expected one — a release changed on disk is refused, naming version and
//      both digests;
//   3. resolves run.env references (config::expandReferences) in memory —
//      a missing secret is refused, naming the variable;
//   4. starts the instance as its child in a new process group, with cwd =
//      the release directory, stdin /dev/null, a clean environment (PATH,
//      HOME, LANG, LC_ALL, TZ, TMPDIR, USER, LOGNAME from its own, then
//      run.env, then PORT, RAMP_HOME, RAMP_SERVICE, RAMP_ENV, RAMP_REGION,
//      RAMP_RELEASE_VERSION, RAMP_RELEASE_DIGEST, RAMP_FLEET_ID,
//      RAMP_INSTANCE_ID), stdout/stderr piped into stdout.log / stderr.log
//      (RotatingLog, size-based);
//   5. records everything in status.json (ShimStatus): its own and the
//      child's pid + start time, then the exit code / signal, or the failure;
//   6. forwards SIGTERM / SIGINT to the child's process group, and when the
//      child has exited kills what is left of that group, reaps the child,
//      drains the pipes (bounded) and exits.
// Start-up outcome is also signalled on `readyFd` (if >= 0): one line
// "ok" or "error MESSAGE", then the fd is closed.
#pragma once

#include <filesystem>

namespace ramp::providers {

class InstanceShim {
 public:
  explicit InstanceShim(std::filesystem::path instanceDir);
  // Runs the shim to the end of the instance; returns the shim's exit code
  // (0 once the instance ran, 1 when it could not be started).
  int run(int readyFd);

 private:
  std::filesystem::path dir_;
};

}  // namespace ramp::providers
