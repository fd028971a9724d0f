#include "release/BundleReader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "core/Home.h"

namespace ramp::release {

namespace {

namespace fs = std::filesystem;
constexpr size_t kBlock = 512;

std::string field(std::string_view h, size_t at, size_t width) {
  std::string_view f = h.substr(at, width);
  size_t end = f.find('\0');
  return std::string(end == std::string_view::npos ? f : f.substr(0, end));
}

Result<uint64_t> octalField(std::string_view h, size_t at, size_t width, const std::string& where) {
  uint64_t v = 0;
  bool any = false;
  for (char c : h.substr(at, width)) {
    if (c == '\0' || c == ' ') {
      if (any) break;
      continue;
    }
    if (c < '0' || c > '7') return invalid("a numeric header field is not octal", where);
    v = v * 8 + static_cast<uint64_t>(c - '0');
    any = true;
    if (v >= (1ull << 40)) return invalid("a numeric header field is out of range", where);
  }
  return v;
}

// Relative path with no empty, "." or ".." components.
bool cleanRelative(const std::string& p) {
  if (p.empty() || p.front() == '/') return false;
  size_t i = 0;
  while (i <= p.size()) {
    size_t slash = p.find('/', i);
    if (slash == std::string::npos) slash = p.size();
    std::string part = p.substr(i, slash - i);
    if (part.empty() || part == "." || part == "..") return false;
    i = slash + 1;
  }
  return true;
}

// A link target that stays inside the tree, seen from the link's directory.
bool staysInside(const std::string& linkPath, const std::string& target) {
  if (target.empty() || target.front() == '/') return false;
  int depth = 0;
  for (char c : linkPath) depth += c == '/';
  size_t i = 0;
  while (i <= target.size()) {
    size_t slash = target.find('/', i);
    if (slash == std::string::npos) slash = target.size();
    std::string part = target.substr(i, slash - i);
    if (part == "..") {
      if (--depth < 0) return false;
    } else if (!part.empty() && part != ".") {
      ++depth;
    }
    i = slash + 1;
  }
  return true;
}

Status writeAll(const fs::path& p, std::string_view data, mode_t mode) {
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return unavailable(std::string("cannot create file: ") + std::strerror(errno), p.string());
  if (int e = writeFully(fd, data); e != 0) {
    ::close(fd);
    return unavailable(std::string("cannot write file: ") + std::strerror(e), p.string());
  }
  bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return unavailable("cannot sync file", p.string());
  if (::chmod(p.c_str(), mode) != 0) return unavailable("cannot set the file's mode", p.string());
  return ok();
}

}  // namespace

Status BundleReader::extract(std::string_view bytes, const fs::path& into) {
  if (::mkdir(into.c_str(), 0700) != 0) {
    return unavailable(std::string("cannot create the release tree: ") + std::strerror(errno), into.string());
  }
  std::set<std::string> seen, links;
  std::vector<std::string> dirs;
  size_t at = 0;
  bool ended = false;
  while (at + kBlock <= bytes.size()) {
    std::string_view h = bytes.substr(at, kBlock);
    if (h.find_first_not_of('\0') == std::string_view::npos) {
      ended = true;
      break;
    }
    const std::string where = "bundle entry at byte " + std::to_string(at);
    auto sum = octalField(h, 148, 8, where);
    if (!sum) return std::unexpected(sum.error());
    uint64_t actual = 0;
    for (size_t i = 0; i < kBlock; ++i) {
      actual += (i >= 148 && i < 156) ? static_cast<unsigned char>(' ') : static_cast<unsigned char>(h[i]);
    }
    if (actual != *sum) return invalid("header checksum does not match (damaged bundle)", where);
    std::string name = field(h, 0, 100);
    if (h.substr(257, 5) == "ustar") {
      std::string prefix = field(h, 345, 155);
      if (!prefix.empty()) name = prefix + "/" + name;
    }
    const char type = h[156];
    if (type == '5' && !name.empty() && name.back() == '/') name.pop_back();
    const std::string entry = "bundle entry " + name;
    auto size = octalField(h, 124, 12, entry);
    if (!size) return std::unexpected(size.error());
    auto mode = octalField(h, 100, 8, entry);
    if (!mode) return std::unexpected(mode.error());
    if (!cleanRelative(name)) return invalid("path is absolute, empty, or has '.' or '..' in it", entry);
    if (!seen.insert(name).second) return invalid("path appears twice in the bundle", entry);
    for (size_t slash = name.find('/'); slash != std::string::npos; slash = name.find('/', slash + 1)) {
      if (links.contains(name.substr(0, slash))) return invalid("path leads through a symbolic link", entry);
    }
    at += kBlock;
    const uint64_t dataBlocks = (*size + kBlock - 1) / kBlock * kBlock;
    if (type != '0' && type != '\0' && *size != 0) return invalid("only files carry data", entry);
    if (at + dataBlocks > bytes.size()) return invalid("truncated bundle", entry);
    const fs::path target = into / name;
    if (type == '5') {
      if (::mkdir(target.c_str(), 0700) != 0) {
        return unavailable(std::string("cannot create directory: ") + std::strerror(errno), target.string());
      }
      dirs.push_back(name);
    } else if (type == '0' || type == '\0') {
      mode_t m = (*mode & 0111) ? 0555 : 0444;
      if (auto w = writeAll(target, bytes.substr(at, *size), m); !w) return w;
    } else if (type == '2') {
      std::string link = field(h, 157, 100);
      if (!staysInside(name, link)) return invalid("symbolic link target leaves the tree: " + link, entry);
      if (::symlink(link.c_str(), target.c_str()) != 0) {
        return unavailable(std::string("cannot create symbolic link: ") + std::strerror(errno), target.string());
      }
      links.insert(name);
    } else {
      return invalid(std::string("unsupported entry type '") + type + "'", entry);
    }
    at += dataBlocks;
  }
  if (!ended) return invalid("truncated bundle: no end-of-archive block", into.string());
  // Read-only, deepest first so that parents stay writable while needed.
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) ::chmod((into / *it).c_str(), 0555);
  ::chmod(into.c_str(), 0555);
  return ok();
}

}  // namespace ramp::release
