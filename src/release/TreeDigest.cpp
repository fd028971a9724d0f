// TreeDigest.cpp — see TreeDigest.h for the canonical encoding.
#include "release/TreeDigest.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/Sha256.h"
#include "release/TreeEntries.h"

namespace ramp::release {
namespace fs = std::filesystem;

namespace {

constexpr size_t kBlock = 64 * 1024;
// A tree deeper than this is almost certainly a loop or an attack.
constexpr int kMaxDepth = 256;

struct Entry {
  std::string rel;   // '/'-joined relative path
  char type;         // 'f' 'd' 'l'
  uint32_t mode;
  uint64_t size;     // files: from lstat, checked again while reading
};

// `v` in big-endian byte order, sizeof(U) bytes: the encoding's u64 sizes
// and u32 modes.
template <class U>
void putBigEndian(Sha256& h, U v) {
  char b[sizeof(U)];
  for (size_t i = sizeof(U); i-- > 0;) {
    b[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  h.update(std::string_view(b, sizeof b));
}

std::string errnoText(int e) { return std::strerror(e); }

Status collect(const fs::path& root, const fs::path& dir, const std::string& prefix,
               int depth, std::vector<Entry>& out) {
  if (depth > kMaxDepth) return invalid("directory tree deeper than 256 levels", dir.string());
  auto names = directoryEntries(dir);
  if (!names) return std::unexpected(names.error());
  for (const auto& name : *names) {
    fs::path p = dir / name;
    struct stat st{};
    if (::lstat(p.c_str(), &st) != 0) {
      return invalid("cannot stat: " + errnoText(errno), p.string());
    }
    std::string rel = prefix.empty() ? name : prefix + "/" + name;
    uint32_t mode = static_cast<uint32_t>(st.st_mode & 07777);
    if (S_ISREG(st.st_mode)) {
      out.push_back({rel, 'f', mode, static_cast<uint64_t>(st.st_size)});
    } else if (S_ISDIR(st.st_mode)) {
      out.push_back({rel, 'd', mode, 0});
      if (auto s = collect(root, p, rel, depth + 1, out); !s) return s;
    } else if (S_ISLNK(st.st_mode)) {
      out.push_back({rel, 'l', 0, 0});
    } else {
      return refuseSpecialFile(st.st_mode, p);
    }
  }
  return ok();
}

Status hashFile(Sha256& h, const fs::path& p, uint64_t expectedSize, uint64_t& bytes) {
  int fd = ::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return invalid("cannot open file: " + errnoText(errno), p.string());
  struct stat st{};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<uint64_t>(st.st_size) != expectedSize) {
    ::close(fd);
    return invalid("file changed while it was being hashed", p.string());
  }
  putBigEndian<uint64_t>(h, expectedSize);
  std::vector<char> buf(kBlock);
  uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return invalid("cannot read file: " + errnoText(e), p.string());
    }
    if (n == 0) break;
    total += static_cast<uint64_t>(n);
    if (total > expectedSize) break;
    h.update(std::string_view(buf.data(), static_cast<size_t>(n)));
  }
  ::close(fd);
  if (total != expectedSize) {
    return invalid("file changed while it was being hashed", p.string());
  }
  bytes += total;
  return ok();
}

}  // namespace

Result<TreeStats> treeStats(const fs::path& root) {
  struct stat st{};
  if (::stat(root.c_str(), &st) != 0) {
    return notFound("no such directory: " + errnoText(errno), root.string());
  }
  if (!S_ISDIR(st.st_mode)) return invalid("not a directory", root.string());

  std::vector<Entry> entries;
  if (auto s = collect(root, root, "", 0, entries); !s) return std::unexpected(s.error());
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.rel < b.rel; });

  Sha256 h;
  static constexpr char kMagic[] = "ramp-tree-v1";
  h.update(std::string_view(kMagic, sizeof(kMagic)));  // includes the NUL
  TreeStats stats;
  for (const auto& e : entries) {
    char t = e.type;
    h.update(std::string_view(&t, 1));
    putBigEndian<uint64_t>(h, e.rel.size());
    h.update(e.rel);
    putBigEndian<uint32_t>(h, e.mode);
    fs::path p = root / e.rel;
    switch (e.type) {
      case 'f':
        if (auto s = hashFile(h, p, e.size, stats.bytes); !s) return std::unexpected(s.error());
        ++stats.files;
        break;
      case 'l': {
        std::error_code ec;
        fs::path target = fs::read_symlink(p, ec);
        if (ec) return invalid("cannot read symbolic link: " + ec.message(), p.string());
        const std::string& ts = target.native();
        putBigEndian<uint64_t>(h, ts.size());
        h.update(ts);
        ++stats.symlinks;
        break;
      }
      case 'd':
        ++stats.directories;
        break;
    }
  }
  stats.digest = "sha256:" + h.finishHex();
  return stats;
}

Result<std::string> treeDigest(const fs::path& root) {
  auto s = treeStats(root);
  if (!s) return std::unexpected(s.error());
  return s->digest;
}

}  // namespace ramp::release
