// TreeDigest.h — the content address of a directory tree (a release's digest).
//
// treeDigest(root) returns "sha256:<64 lower-case hex>", a SHA-256 over a
// canonical encoding of everything below `root` (the root itself is not an
// entry: its own name and mode do not count). It is deterministic: creation
// order, mtimes, owners, inode numbers and the file system do not matter.
//
// Canonical encoding (version 1). All integers are unsigned big-endian.
//
//   stream  := "ramp-tree-v1" 0x00  entry*
//   entry   := type:u8  pathLen:u64 path  mode:u32  payload
//   type    := 'f' (regular file) | 'd' (directory) | 'l' (symbolic link)
//   path    := the entry's path relative to root, components joined by '/',
//              no leading "./" and no trailing '/', raw bytes (no
//              normalisation of Unicode or case)
//   mode    := the permission bits, st_mode & 07777 (setuid/setgid/sticky
//              included); for symlinks always 0
//   payload := for 'f': size:u64 followed by exactly `size` content bytes
//              for 'l': targetLen:u64 followed by the link target as stored
//                       (readlink; the link is never followed)
//              for 'd': nothing
//
// Entries appear sorted by `path` in byte order (memcmp of the relative
// paths), so "a.txt" (0x2E) sorts before "a/b" (0x2F). Every field is
// length-prefixed or fixed-width, so no two different trees encode alike.
//
// File contents are streamed in 64 KiB blocks, never loaded whole. Hard
// links are hashed as independent files. Anything else (socket, FIFO,
// device) is refused, as is an unreadable file or directory; the error
// names the offending path. Modes are hashed as found: the release store
// normalises a staged copy to read-only modes (0444/0555) before hashing,
// so a release's digest does not depend on the builder's umask, while a
// later chmod of a stored release is detected.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "core/Result.h"

namespace ramp::release {

// Summary of a tree walk, for the release's metadata.
struct TreeStats {
  std::string digest;      // "sha256:<hex>"
  uint64_t files = 0;      // regular files
  uint64_t directories = 0;
  uint64_t symlinks = 0;
  uint64_t bytes = 0;      // sum of regular file sizes
};

Result<TreeStats> treeStats(const std::filesystem::path& root);

// The digest alone: treeStats(root)->digest.
Result<std::string> treeDigest(const std::filesystem::path& root);

}  // namespace ramp::release
