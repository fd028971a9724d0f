// TreeEntries.cpp — see TreeEntries.h.
#include "release/TreeEntries.h"

#include <sys/stat.h>

namespace ramp::release {

Result<std::vector<std::string>> directoryEntries(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return invalid("cannot read directory: " + ec.message(), dir.string());
  std::vector<std::string> names;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return invalid("cannot read directory: " + ec.message(), dir.string());
    names.push_back(it->path().filename().string());
  }
  if (ec) return invalid("cannot read directory: " + ec.message(), dir.string());
  return names;
}

Status refuseSpecialFile(mode_t mode, const std::filesystem::path& path) {
  const char* kind = S_ISSOCK(mode)  ? "a socket"
                     : S_ISFIFO(mode) ? "a FIFO"
                     : S_ISCHR(mode)  ? "a character device"
                     : S_ISBLK(mode)  ? "a block device"
                                      : "a special file";
  return invalid(std::string("cannot be part of a release: it is ") + kind, path.string());
}

}  // namespace ramp::release
