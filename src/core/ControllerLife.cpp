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

namespace ramp {

namespace fs = std::filesystem;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

fs::path aliveFile(const fs::path& home) { return home / "controller.alive"; }
fs::path markerFile(const fs::path& home) { return home / "controller.supervised"; }

}  // namespace

Result<ControllerLife> ControllerLife::hold(const fs::path& home) {
  if (auto st = ensureHome(home); !st) return std::unexpected(st.error());
  int fd = ::open(aliveFile(home).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return unavailable(std::string("cannot open: ") + std::strerror(errno), aliveFile(home).string());
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
