#include "config/GitState.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "core/Clock.h"

extern char** environ;

namespace ramp::config {

namespace {

// Runs argv without a shell; stdout captured (at most maxBytes), stderr
// discarded. nullopt on any failure, non-zero exit or timeout.
std::optional<std::string> capture(std::vector<std::string> argv, size_t maxBytes) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<std::string> envStore;
  for (char** e = environ; e && *e; ++e) {
    if (std::strncmp(*e, "GIT_OPTIONAL_LOCKS=", 19) != 0) envStore.emplace_back(*e);
  }
  envStore.emplace_back("GIT_OPTIONAL_LOCKS=0");
  std::vector<char*> envp;
  for (auto& e : envStore) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return std::nullopt;
  }
  std::string out;
  bool tooLong = false;
  auto& clock = SystemClock::instance();
  auto deadline = clock.monotonic() + std::chrono::seconds(10);
  char buf[4096];
  for (int rounds = 0; rounds < 100000; ++rounds) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock.monotonic()).count();
    if (left <= 0) {
      tooLong = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    ssize_t got = ::read(fds[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    if (out.size() < maxBytes) out.append(buf, static_cast<size_t>(got));
  }
  ::close(fds[0]);
  if (tooLong) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (tooLong || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return out;
}

}  // namespace

GitState gitStateOf(const std::filesystem::path& dir) {
  GitState st;
  std::string d = dir.empty() ? std::string(".") : dir.string();
  auto head = capture({"git", "-C", d, "rev-parse", "--verify", "-q", "HEAD"}, 256);
  if (!head) return st;
  while (!head->empty() && (head->back() == '\n' || head->back() == '\r')) head->pop_back();
  if (head->size() < 40) return st;
  auto status = capture({"git", "-C", d, "status", "--porcelain", "--untracked-files=normal"}, 1);
  if (!status) return st;
  st.commit = *head;
  st.dirty = !status->empty();
  return st;
}

}  // namespace ramp::config
