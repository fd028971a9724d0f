// RampProcess.h — what the end-to-end tests share: running the real `ramp`
// binary ($RAMP_BIN) as a person would, in a working directory, optionally
// capturing its standard output.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "../support/RampRun.h"

namespace ramp::e2e {

inline std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Runs `ramp ARGS...` in `cwd`; returns its exit code (128+signal if killed).
inline int runRamp(const std::vector<std::string>& args, const std::filesystem::path& cwd,
                std::string* out = nullptr) {
  return ::ramp::testsupport::runRamp(args, {.cwd = cwd, .out = out});
}

}  // namespace ramp::e2e
