#include "core/ControllerLife.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/DetachedProcess.h"
#include "core/Home.h"
#include "core/Sha256.h"

namespace ramp {

namespace fs = std::filesystem;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

fs::path aliveFile(const fs::path& home) { return home / "controller.alive"; }
fs::path markerFile(const fs::path& home) { return home / "controller.supervised"; }

}  // namespace

Result<ControllerLife> ControllerLife::hold(const fs::path& home, const std::string& storeUrl) {
  if (auto st = ensureHome(home); !st) return std::unexpected(st.error());
  // One joiner at a time: the check and the lock below are one step. Held
  // for a few system calls only, so a blocking wait ends.
  fs::path joinPath = home / "controller.join.lock";
  int joinFd = ::open(joinPath.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (joinFd < 0) return unavailable(std::string("cannot open: ") + std::strerror(errno), joinPath.string());
  struct Unlock {
    int fd;
    ~Unlock() { ::close(fd); }
  } unlock{joinFd};
  while (::flock(joinFd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    return unavailable(std::string("cannot lock: ") + std::strerror(errno), joinPath.string());
  }
  const std::string key = sha256Hex(storeUrl);
  const bool othersAlive = running(home);
  int fd = ::open(aliveFile(home).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return unavailable(std::string("cannot open: ") + std::strerror(errno), aliveFile(home).string());
  if (othersAlive) {
    char buf[128] = {};
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    std::string theirs = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
    while (!theirs.empty() && (theirs.back() == '\n' || theirs.back() == ' ')) theirs.pop_back();
    if (!theirs.empty() && theirs != key) {
      ::close(fd);
      return failedPrecondition(
          "a controller of this home is running on another store (the one its store.url, $RAMP_STORE or --store "
          "named when it started); one home serves one store: stop it first (`ramp down`, or kill the `ramp serve` "
          "of this home) or start this one with the same store",
          aliveFile(home).string());
    }
  } else {
    // The first of its home: the store it opens is the home's from now on.
    std::string line = key + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, line.data(), line.size(), 0) != static_cast<ssize_t>(line.size())) {
      int err = errno;
      ::close(fd);
      return unavailable(std::string("cannot write: ") + std::strerror(err), aliveFile(home).string());
    }
  }
  while (::flock(fd, LOCK_SH) != 0) {
    if (errno == EINTR) continue;
    int err = errno;
    ::close(fd);
    return unavailable(std::string("cannot lock: ") + std::strerror(err), aliveFile(home).string());
  }
  return ControllerLife(home, fd);
}

ControllerLife::ControllerLife(ControllerLife&& other) noexcept : home_(std::move(other.home_)), fd_(other.fd_) {
  other.fd_ = -1;
}

ControllerLife::~ControllerLife() {
  if (fd_ >= 0) ::close(fd_);
}

Status ControllerLife::supervise(const std::vector<std::string>& argv) {
  return writeFileAtomic(markerFile(home_), json{{"argv", argv}, {"pid", ::getpid()}}.dump() + "\n");
}

void ControllerLife::unsupervise() {
  auto text = readFile(markerFile(home_), 1 << 16);
  if (!text) return;
  auto j = json::parse(*text, nullptr, false);
  if (j.is_object() && j.value("pid", 0) != ::getpid()) return;
  std::error_code ec;
  fs::remove(markerFile(home_), ec);
}

bool ControllerLife::running(const fs::path& home) {
  int fd = ::open(aliveFile(home).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // also drops the probe's own lock, if it got it
  return held;
}

std::optional<std::vector<std::string>> ControllerLife::supervisedCommand(const fs::path& home) {
  auto text = readFile(markerFile(home), 1 << 16);
  if (!text) return std::nullopt;
  auto j = json::parse(*text, nullptr, false);
  if (!j.is_object() || !j.contains("argv") || !j["argv"].is_array() || j["argv"].empty()) return std::nullopt;
  std::vector<std::string> argv;
  for (const auto& a : j["argv"]) {
    if (!a.is_string()) return std::nullopt;
    argv.push_back(a.get<std::string>());
  }
  return argv;
}

Result<bool> ControllerLife::start(const fs::path& home, const std::vector<std::string>& argv,
                                   std::chrono::milliseconds wait,
                                   const std::map<std::string, std::optional<std::string>>& env) {
  if (auto st = ensureHome(home); !st) return std::unexpected(st.error());
  const auto deadline = SteadyClock::now() + wait;
  fs::path lockPath = home / "controller.start.lock";
  int lockFd = ::open(lockPath.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (lockFd < 0) return unavailable("cannot open the controller start lock", lockPath.string());
  struct Unlock {
    int fd;
    ~Unlock() { ::close(fd); }
  } unlock{lockFd};
  while (::flock(lockFd, LOCK_EX | LOCK_NB) != 0) {
    if (SteadyClock::now() >= deadline) {
      return unavailable("another process has been starting the controller for too long", lockPath.string());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (running(home)) return false;
  auto changes = env;
  changes["RAMP_HOME"] = home.string();
  fs::path log = home / "controller.log";
  if (auto st = startDetached(argv, log, changes); !st) return std::unexpected(st.error());
  while (SteadyClock::now() < deadline) {
    if (running(home)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto text = readFile(log, 1 << 20);
  std::string tail = text ? text->substr(text->size() > 600 ? text->size() - 600 : 0) : "";
  return unavailable("the controller did not start within " + std::to_string(wait.count()) +
                         " ms; its log says:\n" + tail,
                     log.string());
}

}  // namespace ramp
