// ReadOnlyCopy.h — copies a directory tree into a new read-only tree.
//
// copyReadOnly(from, to) creates `to` (which must not exist) holding a copy
// of everything below `from`: regular files (contents streamed, fsync'ed),
// directories and symbolic links (recreated with the same target, never
// followed). Modes are normalised so a release never depends on the
// builder's umask: files become 0555 if the source had any execute bit,
// else 0444; directories (including `to` itself) become 0555 once filled.
//
// Refused, with the offending path named: special files (sockets, FIFOs,
// devices), unreadable entries, and symlinks that are absolute or that
// climb out of the tree ("../.." beyond its root), since a release must be
// self-contained. On error `to` may be partially written; the caller (the
// release store) copies into a staging directory and removes it.
#pragma once

#include <filesystem>

#include "core/Result.h"

namespace ramp::release {

Status copyReadOnly(const std::filesystem::path& from, const std::filesystem::path& to);

// Makes every directory below and including `root` writable by its owner
// again, then removes it. For discarding staging copies and in tests.
void removeReadOnlyTree(const std::filesystem::path& root);

}  // namespace ramp::release
