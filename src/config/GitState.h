// GitState.h — the commit and cleanliness of the git work tree holding a
// configuration, stamped on every deployment.
//
// Runs `git -C DIR rev-parse HEAD` and `git -C DIR status --porcelain`
// (no shell, GIT_OPTIONAL_LOCKS=0 so it never takes the index lock, output
// bounded, a 10 s limit). No git, not a repository, or a failure: both
// fields unknown (nullopt).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace ramp::config {

struct GitState {
  std::optional<std::string> commit;  // 40 hex
  std::optional<bool> dirty;          // uncommitted changes in the work tree
};

GitState gitStateOf(const std::filesystem::path& dir);

}  // namespace ramp::config
