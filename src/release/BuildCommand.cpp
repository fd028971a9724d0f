// BuildCommand.cpp — see BuildCommand.h.
#include "release/BuildCommand.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ramp::release {
namespace fs = std::filesystem;

namespace {

// The child polls its exit this often while the build runs.
constexpr auto kPoll = std::chrono::milliseconds(20);

}  // namespace

Status BuildCommand::run(const fs::path& workdir, const std::string& command,
                         const std::string& version, const Options& options) const {
  struct stat st{};
  if (::stat(workdir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return notFound("build directory does not exist", workdir.string());
  }
  if (command.empty()) return invalid("build command is empty");

  pid_t pid = ::fork();
  if (pid < 0) return internal(std::string("cannot start build: fork: ") + std::strerror(errno));
  if (pid == 0) {
    // Child: its own process group so a timeout can stop the whole build.
    ::setpgid(0, 0);
    if (::chdir(workdir.c_str()) != 0) _exit(126);
    ::setenv("RAMP_RELEASE_VERSION", version.c_str(), 1);
    if (options.stdoutToStderr) ::dup2(2, 1);
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent, to win the race with kill()

  const MonoTime deadline = clock_.monotonic() + options.timeout;
  int status = 0;
  bool timedOut = false;
  // Bounded by the deadline (then by the SIGKILL grace below).
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) {
      return internal(std::string("waiting for the build failed: ") + std::strerror(errno));
    }
    if (!timedOut && clock_.monotonic() >= deadline) {
      timedOut = true;
      ::kill(-pid, SIGTERM);
      // Give it a moment, then make sure.
      for (int i = 0; i < 100; ++i) {
        if (::waitpid(pid, &status, WNOHANG) == pid) goto reaped;
        std::this_thread::sleep_for(kPoll);
      }
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      goto reaped;
    }
    std::this_thread::sleep_for(kPoll);
  }
reaped:
  if (timedOut) {
    return failedPrecondition("build command `" + command + "` timed out after " +
                              std::to_string(options.timeout.count()) + " ms and was stopped",
                              workdir.string());
  }
  if (WIFEXITED(status)) {
    int code = WEXITSTATUS(status);
    if (code == 0) return ok();
    return failedPrecondition(
        "build command `" + command + "` failed with exit code " + std::to_string(code),
        workdir.string());
  }
  if (WIFSIGNALED(status)) {
    return failedPrecondition("build command `" + command + "` was killed by signal " +
                                  std::to_string(WTERMSIG(status)),
                              workdir.string());
  }
  return failedPrecondition("build command `" + command + "` ended abnormally", workdir.string());
}

}  // namespace ramp::release
