// ReleaseBundle.h — a release's tree as one deterministic tar archive.
//
// The bundle is what an image-plus-user-data fleet fetches from S3
// (`ramp release push`, providers/aws/LaunchUserData.h). Its bytes are a
// function of the tree alone, so the pushing CLI and the controller that
// writes a fleet's user data compute the same sha256 independently, and the
// S3 key is content-addressed by it: key(service, sha256) =
// "bundles/<service>/<sha256 hex>.tar".
//
// Format: POSIX ustar, uncompressed (no dependency on a compressor's
// version for byte-identical output). Entries in byte order of their
// relative path (as TreeDigest.h), directories as "<path>/", then regular
// files and symbolic links (never followed). Every header has mtime 0,
// uid/gid 0, uname/gname "root", the entry's permission bits (st_mode &
// 07777; the store keeps trees read-only, 0444/0555), no device numbers.
// Paths longer than ustar holds (100 bytes, or 155 + '/' + 100 split at a
// slash) and link targets over 100 bytes are refused naming the path, as
// are special files (socket, FIFO, device) and unreadable entries. The
// archive ends with two zero blocks. Files are streamed in 64 KiB blocks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "core/Result.h"

namespace ramp::release {

struct BundleInfo {
  std::string sha256;   // lower-case hex of the archive bytes
  uint64_t bytes = 0;   // archive size
  uint64_t entries = 0; // files, directories and links archived
};

class ReleaseBundle {
 public:
  using Sink = std::function<Status(std::string_view)>;

  // Streams the archive of `tree` into `sink` (any sink error stops it).
  static Result<BundleInfo> write(const std::filesystem::path& tree, const Sink& sink);
  // The archive's sha256 and size, without keeping its bytes.
  static Result<BundleInfo> digest(const std::filesystem::path& tree);
  // The archive's bytes (info, if given, receives its summary).
  static Result<std::string> bytes(const std::filesystem::path& tree, BundleInfo* info = nullptr);
  // "bundles/<service>/<sha256>.tar"
  static std::string key(const std::string& service, const std::string& sha256);
};

}  // namespace ramp::release
