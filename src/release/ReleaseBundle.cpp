#include "release/ReleaseBundle.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/Sha256.h"

namespace ramp::release {
namespace {

namespace fs = std::filesystem;
constexpr size_t kBlock = 512;

struct Entry {
  std::string path;  // relative, '/'-joined
  struct stat st {};
};

Status collect(const fs::path& root, const fs::path& dir, const std::string& rel, std::vector<Entry>& out,
               int depth) {
  if (depth > 256) return invalid("directory nesting deeper than 256 levels", rel);
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return invalid("cannot read directory: " + ec.message(), (root / rel).string());
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    std::string name = it->path().filename().string();
    std::string path = rel.empty() ? name : rel + "/" + name;
    Entry e;
    e.path = path;
    if (::lstat(it->path().c_str(), &e.st) != 0) {
      return invalid(std::string("cannot stat: ") + std::strerror(errno), it->path().string());
    }
    if (S_ISDIR(e.st.st_mode)) {
      out.push_back(e);
      if (auto s = collect(root, it->path(), path, out, depth + 1); !s) return s;
    } else if (S_ISREG(e.st.st_mode) || S_ISLNK(e.st.st_mode)) {
      out.push_back(e);
    } else {
      return invalid("special file (socket, FIFO or device) cannot be bundled", it->path().string());
    }
  }
  if (ec) return invalid("cannot read directory: " + ec.message(), (root / rel).string());
  return ok();
}

void octal(char* field, size_t width, uint64_t value) {
  // width - 1 digits, zero padded, then NUL.
  for (size_t i = width - 1; i-- > 0;) {
    field[i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
  field[width - 1] = '\0';
}

// Splits `name` into ustar prefix/name; false if it does not fit.
bool splitName(const std::string& name, std::string& prefix, std::string& base) {
  if (name.size() <= 100) {
    prefix.clear();
    base = name;
    return true;
  }
  for (size_t i = name.size(); i-- > 0;) {
    if (name[i] != '/') continue;
    if (i <= 155 && name.size() - i - 1 <= 100 && name.size() - i - 1 > 0) {
      prefix = name.substr(0, i);
      base = name.substr(i + 1);
      return true;
    }
  }
  return false;
}

Result<std::string> header(const std::string& name, char type, uint32_t mode, uint64_t size,
                           const std::string& link, const fs::path& where) {
  std::string prefix, base;
  if (!splitName(name, prefix, base)) {
    return invalid("path is too long for a bundle (ustar: 100 bytes, or 155 + 100 split at a '/')", where.string());
  }
  if (link.size() > 100) return invalid("symbolic link target longer than 100 bytes", where.string());
  if (size >= (1ull << 33)) return invalid("file of 8 GiB or more cannot be bundled", where.string());
  std::string h(kBlock, '\0');
  std::memcpy(&h[0], base.data(), base.size());
  octal(&h[100], 8, mode & 07777);
  octal(&h[108], 8, 0);
  octal(&h[116], 8, 0);
  octal(&h[124], 12, size);
  octal(&h[136], 12, 0);
  h[156] = type;
  std::memcpy(&h[157], link.data(), link.size());
  std::memcpy(&h[257], "ustar", 6);
  std::memcpy(&h[263], "00", 2);
  std::memcpy(&h[265], "root", 4);
  std::memcpy(&h[297], "root", 4);
  octal(&h[329], 8, 0);
  octal(&h[337], 8, 0);
  std::memcpy(&h[345], prefix.data(), prefix.size());
  std::memset(&h[148], ' ', 8);
  uint64_t sum = 0;
  for (unsigned char c : h) sum += c;
  octal(&h[148], 7, sum);  // six digits and NUL, then the space already there
  return h;
}

}  // namespace

Result<BundleInfo> ReleaseBundle::write(const fs::path& tree, const Sink& sink) {
  struct stat rootSt {};
  if (::stat(tree.c_str(), &rootSt) != 0 || !S_ISDIR(rootSt.st_mode)) {
    return invalid("release tree is not a readable directory", tree.string());
  }
  std::vector<Entry> entries;
  if (auto s = collect(tree, tree, "", entries, 0); !s) return std::unexpected(s.error());
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.path < b.path; });

  Sha256 hash;
  BundleInfo info;
  auto emit = [&](std::string_view data) -> Status {
    hash.update(data);
    info.bytes += data.size();
    return sink(data);
  };
  std::string buf(64 * 1024, '\0');
  for (const auto& e : entries) {
    fs::path full = tree / e.path;
    uint32_t mode = static_cast<uint32_t>(e.st.st_mode & 07777);
    if (S_ISDIR(e.st.st_mode)) {
      auto h = header(e.path + "/", '5', mode, 0, "", full);
      if (!h) return std::unexpected(h.error());
      if (auto s = emit(*h); !s) return std::unexpected(s.error());
    } else if (S_ISLNK(e.st.st_mode)) {
      std::error_code ec;
      auto target = fs::read_symlink(full, ec);
      if (ec) return invalid("cannot read symbolic link: " + ec.message(), full.string());
      auto h = header(e.path, '2', 0777, 0, target.string(), full);
      if (!h) return std::unexpected(h.error());
      if (auto s = emit(*h); !s) return std::unexpected(s.error());
    } else {
      uint64_t size = static_cast<uint64_t>(e.st.st_size);
      auto h = header(e.path, '0', mode, size, "", full);
      if (!h) return std::unexpected(h.error());
      if (auto s = emit(*h); !s) return std::unexpected(s.error());
      int fd = ::open(full.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0) return invalid(std::string("cannot open: ") + std::strerror(errno), full.string());
      uint64_t done = 0;
      Status st = ok();
      while (done < size) {
        ssize_t n = ::read(fd, buf.data(), static_cast<size_t>(std::min<uint64_t>(buf.size(), size - done)));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          st = invalid(n < 0 ? std::string("cannot read: ") + std::strerror(errno) : "file shrank while bundling",
                       full.string());
          break;
        }
        done += static_cast<uint64_t>(n);
        if (st = emit(std::string_view(buf.data(), static_cast<size_t>(n))); !st) break;
      }
      if (st) {
        char extra;
        ssize_t more = ::read(fd, &extra, 1);
        if (more > 0) st = invalid("file grew while bundling", full.string());
      }
      ::close(fd);
      if (!st) return std::unexpected(st.error());
      if (size % kBlock != 0) {
        if (auto s = emit(std::string(kBlock - size % kBlock, '\0')); !s) return std::unexpected(s.error());
      }
    }
    ++info.entries;
  }
  if (auto s = emit(std::string(2 * kBlock, '\0')); !s) return std::unexpected(s.error());
  info.sha256 = hash.finishHex();
  return info;
}

Result<BundleInfo> ReleaseBundle::digest(const fs::path& tree) {
  return write(tree, [](std::string_view) { return ok(); });
}

Result<std::string> ReleaseBundle::bytes(const fs::path& tree, BundleInfo* info) {
  std::string out;
  auto r = write(tree, [&out](std::string_view d) {
    out.append(d);
    return ok();
  });
  if (!r) return std::unexpected(r.error());
  if (info) *info = *r;
  return out;
}

std::string ReleaseBundle::key(const std::string& service, const std::string& sha256) {
  return "bundles/" + service + "/" + sha256 + ".tar";
}

}  // namespace ramp::release
