#include "providers/local/SandboxedCommand.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <vector>

#include "providers/local/Sandbox.h"

namespace ramp::providers {

int SandboxedCommand::run(const std::string& command, const std::map<std::string, std::string>& env,
                          std::chrono::milliseconds timeout) const {
  SandboxSpec spec;
  spec.hidden = Sandbox::worldSecrets(home_);
  spec.workdir = "/tmp";
  spec.user = user_;
  auto argv = Sandbox::wrap(spec, {"/bin/sh", "-c", command});
  if (!argv) {
    std::cerr << "smoke test not run: " << argv.error().describe() << std::endl;
    return 127;
  }
  std::map<std::string, std::string> clean;
  for (const char* name : {"PATH", "LANG", "LC_ALL", "TZ"}) {
    if (const char* v = std::getenv(name)) clean[name] = v;
  }
  if (!clean.count("PATH")) clean["PATH"] = "/usr/local/bin:/usr/bin:/bin";
  clean["HOME"] = clean["TMPDIR"] = "/tmp";
  for (const auto& [k, v] : env) clean[k] = v;
  clean.erase("RAMP_TOKEN");
  std::vector<std::string> envStrings;
  for (const auto& [k, v] : clean) envStrings.push_back(k + "=" + v);
  std::vector<char*> envp, args;
  for (auto& s : envStrings) envp.push_back(s.data());
  envp.push_back(nullptr);
  for (auto& s : *argv) args.push_back(s.data());
  args.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) return 127;
  if (pid == 0) {
    ::setpgid(0, 0);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (true) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0) return 127;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return 124;
    }
    ::usleep(20000);
  }
  // The sandbox's processes share the group: none outlives the command.
  ::kill(-pid, SIGKILL);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace ramp::providers
