#include "providers/local/RotatingLog.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>

namespace ramp::providers {

namespace fs = std::filesystem;

RotatingLog::RotatingLog(fs::path path, uint64_t maxBytes, int keep)
    : path_(std::move(path)), maxBytes_(maxBytes == 0 ? 1 : maxBytes), keep_(keep < 0 ? 0 : keep) {}

RotatingLog::~RotatingLog() {
  if (fd_ >= 0) ::close(fd_);
}

Status RotatingLog::open() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) return unavailable(std::string("cannot open log: ") + std::strerror(errno), path_.string());
  struct stat st {};
  size_ = ::fstat(fd_, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  return ok();
}

Status RotatingLog::rotate() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  std::error_code ec;
  if (keep_ == 0) {
    fs::remove(path_, ec);
  } else {
    auto numbered = [this](int i) {
      fs::path p = path_;
      p += "." + std::to_string(i);
      return p;
    };
    fs::remove(numbered(keep_), ec);
    for (int i = keep_ - 1; i >= 1; --i) {
      if (fs::exists(numbered(i), ec)) fs::rename(numbered(i), numbered(i + 1), ec);
    }
    fs::rename(path_, numbered(1), ec);
  }
  return open();
}

Status RotatingLog::write(std::string_view data) {
  if (fd_ < 0) {
    if (auto s = open(); !s) return s;
  }
  // Bounded: each round writes at least one byte, or rotates a non-empty file
  // (after which the next round writes).
  for (size_t guard = 0; !data.empty() && guard < 2 * data.size() + 2; ++guard) {
    uint64_t room = size_ >= maxBytes_ ? 0 : maxBytes_ - size_;
    std::string_view chunk = data.substr(0, static_cast<size_t>(std::min<uint64_t>(room, data.size())));
    if (chunk.size() < data.size()) {
      // Does not fit: cut after the last whole line that fits; with no whole
      // line, start a fresh file first (or cut mid-line in an empty one).
      auto nl = chunk.rfind('\n');
      if (nl != std::string_view::npos) {
        chunk = chunk.substr(0, nl + 1);
      } else if (size_ > 0) {
        if (auto s = rotate(); !s) return s;
        continue;
      }
    }
    if (auto s = writeAll(chunk); !s) return s;
    data.remove_prefix(chunk.size());
    if (!data.empty()) {
      if (auto s = rotate(); !s) return s;
    }
  }
  return ok();
}

Status RotatingLog::writeAll(std::string_view data) {
  size_t off = 0;
  // Bounded: each iteration writes at least one byte or fails.
  while (off < data.size()) {
    ssize_t n = ::write(fd_, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return unavailable(std::string("cannot write log: ") + std::strerror(errno), path_.string());
    }
    if (n == 0) return unavailable("log write made no progress", path_.string());
    off += static_cast<size_t>(n);
  }
  size_ += data.size();
  return ok();
}

}  // namespace ramp::providers
