#include "core/Home.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ramp {

namespace fs = std::filesystem;

fs::path resolveHome(const std::optional<std::string>& flag) {
  if (flag && !flag->empty()) return fs::absolute(*flag);
  if (const char* h = std::getenv("RAMP_HOME"); h && *h) return fs::absolute(h);
  if (const char* x = std::getenv("XDG_STATE_HOME"); x && *x) return fs::path(x) / "ramp";
  const char* home = std::getenv("HOME");
  return fs::path(home && *home ? home : "/tmp") / ".local" / "state" / "ramp";
}

Status ensureHome(const fs::path& home) {
  std::error_code ec;
  fs::create_directories(home, ec);
  if (ec) return fail(ErrorCode::kUnavailable, "cannot create state directory: " + ec.message(), home.string());
  ::chmod(home.c_str(), 0700);
  return ok();
}

int writeFully(int fd, std::string_view data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    off += static_cast<size_t>(n);
  }
  return 0;
}

Status writeFileAtomic(const fs::path& path, std::string_view content, fs::perms perms) {
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  fs::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                  static_cast<mode_t>(perms));
  if (fd < 0) return fail(ErrorCode::kUnavailable, std::strerror(errno), tmp.string());
  if (int e = writeFully(fd, content); e != 0) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return fail(ErrorCode::kUnavailable, std::strerror(e), tmp.string());
  }
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return fail(ErrorCode::kUnavailable, std::strerror(e), path.string());
  }
  return ok();
}

Result<std::string> readFile(const fs::path& path, size_t maxBytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return notFound("cannot open file", path.string());
  std::string data;
  char buf[65536];
  while (in) {
    in.read(buf, sizeof buf);
    data.append(buf, static_cast<size_t>(in.gcount()));
    if (data.size() > maxBytes) {
      return invalid("file is larger than " + std::to_string(maxBytes) + " bytes", path.string());
    }
  }
  return data;
}

}  // namespace ramp
