// TreeEntries.h — what the tree walks of TreeDigest and ReadOnlyCopy share.
//
// directoryEntries(dir): the names of the entries of one directory (without
// "." and ".."), in the order the file system gives them; a directory that
// cannot be read is kInvalid "cannot read directory: <reason>" naming it.
// refuseSpecialFile(mode, path): the kInvalid answer for an entry that is
// neither a regular file, a directory nor a symbolic link ("cannot be part
// of a release: it is a socket | a FIFO | a character device | a block
// device | a special file", naming the path).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <sys/types.h>

#include "core/Result.h"

namespace ramp::release {

Result<std::vector<std::string>> directoryEntries(const std::filesystem::path& dir);
Status refuseSpecialFile(mode_t mode, const std::filesystem::path& path);

}  // namespace ramp::release
