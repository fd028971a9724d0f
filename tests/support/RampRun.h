// RampRun.h — the one way the tests run the real `ramp` binary ($RAMP_BIN)
// as a person would: in a working directory, with extra (or fewer)
// environment variables, waited for, its output captured as the test asks.
// The child inherits the test's RAMP_HOME unless `env` says otherwise, so
// tests/isolated finds anything it leaves behind.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace ramp::testsupport {

struct RampRun {
  std::filesystem::path cwd = ".";
  std::map<std::string, std::string> env{};  // set in the child
  std::vector<std::string> unset{};        // removed from the child's environment
  std::string* out = nullptr;              // stdout appended here (none: inherited)
  bool stderrToOut = false;                // with `out`: stderr appended there too
  std::filesystem::path stderrFile{};      // else, when set: stderr written to this file
};

// Runs `ramp ARGS...` as `how` says; its exit code (128+signal if killed,
// 127 if it could not be started).
inline int runRamp(const std::vector<std::string>& args, const RampRun& how = {}) {
  int fds[2];
  if (how.out && pipe(fds) != 0) return 127;
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(how.cwd.c_str()) != 0) _exit(127);
    if (how.out) {
      dup2(fds[1], 1);
      if (how.stderrToOut) dup2(fds[1], 2);
      close(fds[0]);
      close(fds[1]);
    }
    if (!how.stderrFile.empty() && !(how.out && how.stderrToOut)) {
      int fd = ::open(how.stderrFile.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
      if (fd >= 0) dup2(fd, 2);
    }
    for (const auto& name : how.unset) unsetenv(name.c_str());
    for (const auto& [k, v] : how.env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv{const_cast<char*>("ramp")};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const char* bin = std::getenv("RAMP_BIN");
    execv(bin ? bin : "", argv.data());
    _exit(127);
  }
  if (how.out) {
    close(fds[1]);
    char buf[4096];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) how.out->append(buf, static_cast<size_t>(n));
    close(fds[0]);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

}  // namespace ramp::testsupport
