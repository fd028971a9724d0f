// RampProcess.h — what the end-to-end tests share: running the real `ramp`
// binary ($RAMP_BIN) as a person would, in a working directory, optionally
// capturing its standard output.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace ramp::e2e {

inline std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Runs `ramp ARGS...` in `cwd`; returns its exit code (128+signal if killed).
inline int runRamp(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                std::string* out = nullptr) {
  int fds[2];
  if (out && pipe(fds) != 0) return 127;
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(cwd.c_str()) != 0) _exit(127);
    if (out) {
      dup2(fds[1], 1);
      close(fds[0]);
      close(fds[1]);
    }
    std::vector<char*> argv{const_cast<char*>("ramp")};
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::string bin = env("RAMP_BIN");
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  if (out) {
    close(fds[1]);
    char buf[4096];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) out->append(buf, static_cast<size_t>(n));
    close(fds[0]);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

}  // namespace ramp::e2e
