#include "core/DetachedProcess.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace ramp {

Status startDetached(const std::vector<std::string>& argv, const std::filesystem::path& log,
                     const std::map<std::string, std::optional<std::string>>& env) {
  if (argv.empty()) return invalid("nothing to start", "argv");
  // Prepared before fork: the child only calls async-signal-safe functions.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> envCopy;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string::npos && env.contains(entry.substr(0, eq))) continue;
    envCopy.push_back(std::move(entry));
  }
  for (const auto& [name, value] : env) {
    if (value) envCopy.push_back(name + "=" + *value);
  }
  std::vector<char*> envp;
  for (auto& e : envCopy) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string logPath = log.string();

  pid_t child = ::fork();
  if (child < 0) return unavailable(std::string("fork: ") + std::strerror(errno), argv[0]);
  if (child == 0) {
    ::setsid();
    pid_t grandchild = ::fork();
    if (grandchild != 0) ::_exit(grandchild < 0 ? 1 : 0);
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (in >= 0) ::dup2(in, 0);
    if (out >= 0) {
      ::dup2(out, 1);
      ::dup2(out, 2);
    }
    ::close_range(3, ~0U, 0);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return unavailable("could not start the process", argv[0]);
  return ok();
}

}  // namespace ramp
