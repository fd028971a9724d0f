// TempDir.h — a scratch directory for one test, removed (made writable
// first, since releases are read-only) when the test ends.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <stdlib.h>
#include <sys/stat.h>

namespace ramp::release::testing {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("RAMP_HOME");
    std::string tmpl = std::string(base ? base : "/tmp") + "/reltest.XXXXXX";
    if (!base) tmpl = "/tmp/ramp-reltest.XXXXXX";
    char* p = ::mkdtemp(tmpl.data());
    path_ = p ? std::filesystem::path(p) : std::filesystem::path();
  }
  ~TempDir() {
    std::error_code ec;
    if (path_.empty()) return;
    for (auto it = std::filesystem::recursive_directory_iterator(path_, ec);
         it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (it->is_directory(ec) && !it->is_symlink(ec)) {
        std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                     std::filesystem::perm_options::add, ec);
      }
    }
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline void writeFile(const std::filesystem::path& p, const std::string& content) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
}

// The permission bits of p (not following a link); 0 when it cannot be read.
inline mode_t modeOf(const std::filesystem::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

// A small release source: bin/app (0755), share/data.txt (0644, `body`)
// and the link run -> bin/app.
inline void makeApp(const std::filesystem::path& dir, const std::string& body = "hello\n") {
  writeFile(dir / "bin/app", "#!/bin/sh\necho app\n");
  std::filesystem::permissions(dir / "bin/app", std::filesystem::perms(0755));
  writeFile(dir / "share/data.txt", body);
  std::filesystem::permissions(dir / "share/data.txt", std::filesystem::perms(0644));
  std::filesystem::create_symlink("bin/app", dir / "run");
}

}  // namespace ramp::release::testing
