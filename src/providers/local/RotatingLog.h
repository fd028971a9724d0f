// RotatingLog.h — an append-only log file rotated by size.
//
// Used by the instance shim for an instance's stdout.log / stderr.log.
// No file ever holds more than `maxBytes`: data that does not fit is cut
// after the last whole line that fits (mid-line only when not even one line
// fits an empty file), and the file is rotated: NAME.(keep-1) -> NAME.keep
// (the old NAME.keep is deleted), ..., NAME -> NAME.1, and a fresh NAME is
// opened. So at most keep+1 files exist. An existing file is appended to (a
// restarted shim continues the same log). keep == 0 truncates instead.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "core/Result.h"

namespace ramp::providers {

class RotatingLog {
 public:
  RotatingLog(std::filesystem::path path, uint64_t maxBytes, int keep);
  ~RotatingLog();
  RotatingLog(const RotatingLog&) = delete;
  RotatingLog& operator=(const RotatingLog&) = delete;

  Status open();
  Status write(std::string_view data);
  uint64_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  Status rotate();
  Status writeAll(std::string_view data);

  std::filesystem::path path_;
  uint64_t maxBytes_;
  int keep_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

}  // namespace ramp::providers
