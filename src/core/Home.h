// Home.h — where a ramp world keeps its state.
//
// A world is one state directory: releases, the store, the router's
// configuration, instance logs, the controller's address. Two different
// homes are two independent worlds. The home is, in order: --home DIR,
// $RAMP_HOME, $XDG_STATE_HOME/ramp, ~/.local/state/ramp.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "core/Result.h"

namespace ramp {

std::filesystem::path resolveHome(const std::optional<std::string>& flag);

// Creates the home (mode 0700) if it does not exist yet.
Status ensureHome(const std::filesystem::path& home);

// Writes `content` to `path` atomically (temporary file, fsync, rename), with
// the given permission bits. Readers never see a half-written file.
Status writeFileAtomic(const std::filesystem::path& path, std::string_view content,
                       std::filesystem::perms perms = std::filesystem::perms::owner_read |
                                                      std::filesystem::perms::owner_write);

// Writes all of `data` to the open descriptor `fd`, resuming after EINTR and
// short writes. 0, or the errno of the write that failed (the caller names
// the file and decides what to clean up).
int writeFully(int fd, std::string_view data);

Result<std::string> readFile(const std::filesystem::path& path,
                             size_t maxBytes = 64u << 20);

}  // namespace ramp
