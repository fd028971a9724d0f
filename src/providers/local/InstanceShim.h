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
//   4. starts the instance in the sandbox (Sandbox.h: bubblewrap, $RAMP_HOME
//      and the controller user's $HOME hidden, the release tree read-only,
//      its own /tmp, PID and IPC namespaces; as the unprivileged
//      launch.sandboxUser when the shim runs as root) in a new process
//      group, with cwd = the release directory, stdin /dev/null, a clean
//      environment (PATH, LANG, LC_ALL, TZ from its own; HOME and TMPDIR
//      /tmp; USER/LOGNAME the instance's user; then run.env, then PORT,
//      RAMP_HOME, RAMP_SERVICE, RAMP_ENV, RAMP_REGION, RAMP_RELEASE_VERSION,
//      RAMP_RELEASE_DIGEST, RAMP_FLEET_ID, RAMP_INSTANCE_ID — never
//      RAMP_TOKEN or anything else of the controller's), stdout/stderr piped
//      into stdout.log / stderr.log (RotatingLog, size-based). No sandbox
//      (bwrap missing, or the user missing as root) = not started, saying
//      why (fail closed);
//   5. records everything in status.json (ShimStatus): its own pid + start
//      time and the instance's (the sandbox's PID-namespace init, which
//      lives exactly as long as the instance), then the exit code / signal,
//      or the failure;
//   6. forwards SIGTERM / SIGINT to the instance's process group (the
//      sandbox's outer process dies at once; the instance gets the signal
//      and may finish gracefully: the shim is a child subreaper, adopts the
//      instance and waits for it), and when the instance has exited kills
//      what is left of that group, reaps it, drains the pipes (bounded) and
//      exits.
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
