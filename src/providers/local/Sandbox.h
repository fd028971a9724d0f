// Sandbox.h — how the local provider runs code it does not trust (a
// release's instances, smoke tests) so that it cannot reach ramp's own
// secrets (docs/providers.md "Isolation"; issue 15).
//
// A sandboxed command runs under bubblewrap (`bwrap`, Debian package
// bubblewrap) with:
//   - the host file system read-only (--ro-bind / /), a fresh /dev and /proc;
//   - its own, empty and writable /tmp (a tmpfs; the host's /tmp is not seen);
//   - the hidden paths replaced by empty directories: $RAMP_HOME (tokens,
//     the store, the audit key, secrets, other fleets' logs) and the
//     controller user's $HOME (cloud credentials, ssh keys); `visible`
//     paths inside them (the release tree) are bound back read-only, their
//     parent directories recreated 0755 so the instance can reach them;
//   - its own PID and IPC namespaces (it sees only its own processes, so it
//     cannot read the controller's /proc/PID/environ or memory); the
//     network namespace is the host's, so the router reaches it on loopback;
//   - when the controller runs as root: the command runs as `user` (an
//     unprivileged account, default ramp-instance) with no capabilities,
//     no supplementary groups and no_new_privs (setpriv, util-linux) —
//     bubblewrap run by root keeps every capability otherwise.
// The process group is the caller's (no new session), so signalling the
// group reaches the command; bubblewrap's own outer process dies on SIGTERM
// while the PID namespace's init (the `--info-fd` child-pid) lives exactly
// as long as the command (InstanceShim supervises that pid).
//
// wrap() fails closed: without bwrap, or as root without the user, it is
// kUnavailable naming what is missing and how to get it; nothing runs.
// The environment is the caller's business: pass the command a clean one
// (never the controller's: no RAMP_TOKEN, no credentials).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/Result.h"

namespace ramp::providers {

struct SandboxSpec {
  std::vector<std::filesystem::path> hidden;   // directories replaced by empty ones (files: by /dev/null)
  std::vector<std::filesystem::path> visible;  // bound back read-only (absolute)
  std::filesystem::path workdir = "/tmp";      // inside the sandbox
  std::string user = "ramp-instance";          // who runs it when the caller is root
  int infoFd = -1;                             // bwrap --info-fd (child-pid JSON), -1 = none
};

class Sandbox {
 public:
  // The argv that runs `command` (command[0] an absolute path) sandboxed.
  static Result<std::vector<std::string>> wrap(const SandboxSpec& spec, const std::vector<std::string>& command);
  // The hidden paths of a world: its home and the controller user's $HOME.
  static std::vector<std::filesystem::path> worldSecrets(const std::filesystem::path& home);
  // Where bwrap is (empty when not installed).
  static std::string bwrapPath();
};

}  // namespace ramp::providers
