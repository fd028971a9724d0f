// ReadOnlyCopy.cpp — see ReadOnlyCopy.h.
#include "release/ReadOnlyCopy.h"

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/Home.h"
#include "release/TreeEntries.h"

namespace ramp::release {
namespace fs = std::filesystem;

namespace {

constexpr int kMaxDepth = 256;
constexpr size_t kBlock = 64 * 1024;

std::string errnoText(int e) { return std::strerror(e); }

// Does a relative link at depth `depth` (number of directories between the
// tree root and the link's directory) stay inside the tree?
bool linkStaysInside(const fs::path& target, int depth) {
  if (target.is_absolute()) return false;
  int level = depth;
  for (const auto& part : target) {
    const std::string s = part.string();
    if (s.empty() || s == ".") continue;
    if (s == "..") {
      if (--level < 0) return false;
    } else {
      ++level;
    }
  }
  return true;
}

Status copyFile(const fs::path& src, const fs::path& dst, mode_t mode) {
  int in = ::open(src.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0) return invalid("cannot open file: " + errnoText(errno), src.string());
  int out = ::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out < 0) {
    int e = errno;
    ::close(in);
    return internal("cannot create file: " + errnoText(e), dst.string());
  }
  std::vector<char> buf(kBlock);
  Status result = ok();
  for (;;) {
    ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      result = invalid("cannot read file: " + errnoText(errno), src.string());
      break;
    }
    if (n == 0) break;
    if (int e = writeFully(out, std::string_view(buf.data(), static_cast<size_t>(n))); e != 0) {
      result = internal("cannot write file: " + errnoText(e), dst.string());
      break;
    }
  }
  ::close(in);
  if (result && ::fsync(out) != 0) {
    result = internal("cannot sync file: " + errnoText(errno), dst.string());
  }
  if (result && ::fchmod(out, mode) != 0) {
    result = internal("cannot set mode: " + errnoText(errno), dst.string());
  }
  ::close(out);
  return result;
}

Status copyDir(const fs::path& from, const fs::path& to, int depth) {
  if (depth > kMaxDepth) return invalid("directory tree deeper than 256 levels", from.string());
  if (::mkdir(to.c_str(), 0700) != 0) {
    return internal("cannot create directory: " + errnoText(errno), to.string());
  }
  auto names = directoryEntries(from);
  if (!names) return std::unexpected(names.error());
  for (const auto& name : *names) {
    fs::path src = from / name;
    fs::path dst = to / name;
    struct stat st{};
    if (::lstat(src.c_str(), &st) != 0) return invalid("cannot stat: " + errnoText(errno), src.string());
    if (S_ISREG(st.st_mode)) {
      mode_t mode = (st.st_mode & 0111) ? 0555 : 0444;
      if (auto s = copyFile(src, dst, mode); !s) return s;
    } else if (S_ISDIR(st.st_mode)) {
      if (auto s = copyDir(src, dst, depth + 1); !s) return s;
    } else if (S_ISLNK(st.st_mode)) {
      std::error_code ec;
      fs::path target = fs::read_symlink(src, ec);
      if (ec) return invalid("cannot read symbolic link: " + ec.message(), src.string());
      if (!linkStaysInside(target, depth)) {
        return invalid("symbolic link points outside the release (to \"" + target.string() +
                           "\"); a release must be self-contained",
                       src.string());
      }
      if (::symlink(target.c_str(), dst.c_str()) != 0) {
        return internal("cannot create symbolic link: " + errnoText(errno), dst.string());
      }
    } else {
      return refuseSpecialFile(st.st_mode, src);
    }
  }
  if (::chmod(to.c_str(), 0555) != 0) {
    return internal("cannot set mode: " + errnoText(errno), to.string());
  }
  return ok();
}

}  // namespace

Status copyReadOnly(const fs::path& from, const fs::path& to) {
  struct stat st{};
  if (::stat(from.c_str(), &st) != 0) {
    return notFound("no such directory: " + errnoText(errno), from.string());
  }
  if (!S_ISDIR(st.st_mode)) return invalid("not a directory", from.string());
  return copyDir(from, to, 0);
}

void removeReadOnlyTree(const fs::path& root) {
  std::error_code ec;
  struct stat st{};
  if (::lstat(root.c_str(), &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    ::chmod(root.c_str(), 0700);
    // Bounded: recursive_directory_iterator does not follow symlinks, and
    // every directory is visited once.
    for (auto it = fs::recursive_directory_iterator(root, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_directory(ec) && !it->is_symlink(ec)) ::chmod(it->path().c_str(), 0700);
    }
  }
  fs::remove_all(root, ec);
}

}  // namespace ramp::release
