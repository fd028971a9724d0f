#include "core/Subprocess.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>

namespace ramp {

namespace {

constexpr auto kPoll = std::chrono::milliseconds(20);
constexpr auto kKillGrace = std::chrono::milliseconds(2000);

}  // namespace

int CommandExit::shellCode() const {
  switch (how) {
    case How::kExited: return code;
    case How::kSignalled: return 128 + code;
    case How::kTimedOut:
    case How::kCancelled: return 124;
  }
  return 127;
}

std::string CommandExit::describe(std::chrono::milliseconds timeout) const {
  switch (how) {
    case How::kExited: return "exited " + std::to_string(code);
    case How::kSignalled: return "was killed by signal " + std::to_string(code);
    case How::kTimedOut: return "timed out after " + std::to_string(timeout.count()) + " ms";
    case How::kCancelled: return "was cancelled";
  }
  return "ended abnormally";
}

Result<CommandExit> runShell(const ShellCommand& cmd, Clock& clock) {
  if (cmd.command.empty()) return invalid("the command is empty");
  if (!cmd.workdir.empty()) {
    struct stat st{};
    if (::stat(cmd.workdir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return notFound("directory does not exist", cmd.workdir.string());
    }
  }
  pid_t pid = ::fork();
  if (pid < 0) return internal(std::string("cannot start `") + cmd.command + "`: fork: " + std::strerror(errno));
  if (pid == 0) {
    // Child: its own process group so a timeout stops the whole command.
    ::setpgid(0, 0);
    if (!cmd.workdir.empty() && ::chdir(cmd.workdir.c_str()) != 0) _exit(126);
    for (const auto& [k, v] : cmd.env) ::setenv(k.c_str(), v.c_str(), 1);
    if (cmd.stdoutToStderr) ::dup2(2, 1);
    ::execl("/bin/sh", "sh", "-c", cmd.command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent, to win the race with kill()

  const MonoTime deadline = clock.monotonic() + cmd.timeout;
  int status = 0;
  std::optional<CommandExit::How> stopped;
  MonoTime killAt{};
  bool killed = false;
  // Bounded: by the deadline (or the cancel), then by the SIGKILL grace.
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) {
      return internal(std::string("waiting for `") + cmd.command + "` failed: " + std::strerror(errno));
    }
    auto now = clock.monotonic();
    if (!stopped && (now >= deadline || (cmd.cancel && cmd.cancel->load()))) {
      stopped = now >= deadline ? CommandExit::How::kTimedOut : CommandExit::How::kCancelled;
      ::kill(-pid, SIGTERM);
      killAt = now + kKillGrace;
    } else if (stopped && !killed && now >= killAt) {
      ::kill(-pid, SIGKILL);
      killed = true;
    }
    std::this_thread::sleep_for(kPoll);
  }
  if (stopped) return CommandExit{*stopped, 0};
  if (WIFEXITED(status)) return CommandExit{CommandExit::How::kExited, WEXITSTATUS(status)};
  if (WIFSIGNALED(status)) return CommandExit{CommandExit::How::kSignalled, WTERMSIG(status)};
  return CommandExit{CommandExit::How::kExited, 127};
}

}  // namespace ramp
