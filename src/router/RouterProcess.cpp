#include "router/RouterProcess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/DetachedProcess.h"
#include "core/Home.h"
#include "router/AdminClient.h"

namespace ramp::router {

namespace fs = std::filesystem;

namespace {

class DirLock {
 public:
  static Result<DirLock> acquire(const fs::path& file, MonoTime deadline) {
    int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return unavailable(std::string("cannot open lock: ") + std::strerror(errno), file.string());
    for (int i = 0; i < 100000; ++i) {
      if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return DirLock(fd);
      if (SystemClock::instance().monotonic() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::close(fd);
    return unavailable("timed out waiting for the router lock", file.string());
  }
  DirLock(DirLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

bool pidAlive(int64_t pid) {
  if (pid <= 0) return false;
  if (::kill(static_cast<pid_t>(pid), 0) != 0) return errno == EPERM;
  // A zombie is not alive.
  auto stat = readFile("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (stat) {
    size_t rp = stat->rfind(')');
    if (rp != std::string::npos && rp + 2 < stat->size() && (*stat)[rp + 2] == 'Z') return false;
  }
  return true;
}

bool isRouterProcess(int64_t pid) {
  auto cmd = readFile("/proc/" + std::to_string(pid) + "/cmdline", 1 << 16);
  return cmd && cmd->find(std::string("router\0", 7)) != std::string::npos;
}

struct Recorded {
  std::string address;
  int64_t pid = 0;
};

Result<Recorded> readAdminJson(const fs::path& dir) {
  auto text = readFile(dir / "admin.json", 4096);
  if (!text) return std::unexpected(text.error());
  try {
    auto j = nlohmann::json::parse(*text);
    return Recorded{j.at("address").get<std::string>(), j.at("pid").get<int64_t>()};
  } catch (const std::exception& e) {
    return invalid(std::string("malformed: ") + e.what(), (dir / "admin.json").string());
  }
}

Result<std::string> readToken(const fs::path& dir) {
  auto t = readFile(dir / "admin.token", 4096);
  if (!t) return t;
  std::string s = *t;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

Result<RouterEndpoint> probe(const fs::path& dir, Millis timeout) {
  auto rec = readAdminJson(dir);
  if (!rec) return std::unexpected(rec.error());
  if (!pidAlive(rec->pid)) return unavailable("recorded router pid " + std::to_string(rec->pid) + " is not running");
  auto token = readToken(dir);
  if (!token) return std::unexpected(token.error());
  AdminClient client(rec->address, *token, timeout);
  auto r = client.call("GET", "/admin/v1/ping");
  if (!r) return std::unexpected(r.error());
  if (r->value("pid", int64_t{0}) != rec->pid) return unavailable("admin address answered by another process");
  return RouterEndpoint{rec->address, *token, rec->pid};
}

Status spawn(const fs::path& home, const fs::path& dir, const fs::path& rampBinary) {
  if (auto st = startDetached({rampBinary.string(), "router", "--home", home.string()}, dir / "router.log"); !st) {
    return unavailable("could not start the router process: " + st.error().describe());
  }
  return ok();
}

}  // namespace

Result<RouterEndpoint> findRouter(const fs::path& home, Millis timeout) { return probe(home / "router", timeout); }

Result<RouterEndpoint> ensureRouterRunning(const fs::path& home, const fs::path& rampBinary, Millis timeout) {
  fs::path dir = home / "router";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return unavailable("cannot create " + dir.string() + ": " + ec.message());
  MonoTime deadline = SystemClock::instance().monotonic() + timeout;
  auto lock = DirLock::acquire(dir / "router.lock", deadline);
  if (!lock) return std::unexpected(lock.error());
  auto probeTimeout = std::min<Millis>(timeout, Millis(2000));
  if (auto ep = probe(dir, probeTimeout)) return ep;
  if (!fs::exists(rampBinary)) return invalid("no such ramp binary", rampBinary.string());
  fs::remove(dir / "admin.json", ec);
  if (auto st = spawn(home, dir, rampBinary); !st) return std::unexpected(st.error());
  Error last{ErrorCode::kUnavailable, "router did not start", (dir / "router.log").string()};
  for (int i = 0; i < 100000; ++i) {
    if (fs::exists(dir / "admin.json")) {
      auto ep = probe(dir, probeTimeout);
      if (ep) return ep;
      last = ep.error();
    }
    if (SystemClock::instance().monotonic() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return unavailable("router did not answer within the timeout: " + last.describe() + " (see " +
                     (dir / "router.log").string() + ")");
}

Status stopRouter(const fs::path& home, Millis timeout) {
  fs::path dir = home / "router";
  if (!fs::exists(dir)) return ok();
  MonoTime deadline = SystemClock::instance().monotonic() + timeout;
  auto lock = DirLock::acquire(dir / "router.lock", deadline);
  if (!lock) return std::unexpected(lock.error());
  auto rec = readAdminJson(dir);
  if (!rec) return ok();
  std::error_code ec;
  if (!pidAlive(rec->pid) || !isRouterProcess(rec->pid)) {
    fs::remove(dir / "admin.json", ec);
    return ok();
  }
  pid_t pid = static_cast<pid_t>(rec->pid);
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 100000 && pidAlive(pid); ++i) {
    if (SystemClock::instance().monotonic() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (pidAlive(pid)) {
    ::kill(pid, SIGKILL);
    for (int i = 0; i < 200 && pidAlive(pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  fs::remove(dir / "admin.json", ec);
  if (pidAlive(pid)) return unavailable("router pid " + std::to_string(pid) + " did not exit");
  return ok();
}

}  // namespace ramp::router
