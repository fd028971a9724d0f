// ConfigLoader.h — reading ramp.yaml (or a directory of YAML files).
//
// Entry points:
//   loadConfigPath(PATH)      a file, or a directory whose *.yaml / *.yml files
//                             (sorted by name) are merged into one document
//   loadConfigText(TEXT, NAME) the same from a buffer (tests, fuzzing)
//   loadConfigFiles(FILES)    several files given as (name, text), merged
//                             like a directory (the controller loads the
//                             config of record with it: record/ConfigBundle.h)
//   readConfigFiles(PATH)     the (name, text) pairs loadConfigPath reads:
//                             the file, or the directory's *.yaml / *.yml
//                             files sorted by name (names as given in PATH)
//   loadConfig(PATH)          the Result<Config> form for code that only
//                             needs "valid or not"
// A LoadResult holds either a Config, every invariant of Model.h checked,
// or ALL problems found, as positioned Diagnostics sorted by position.
// Contract: never throws, never crashes, ends fast on any input. Files over
// kMaxFileBytes are refused with a diagnostic at FILE:1:1.
// Merging a directory: maps merge key by key; the same scalar or list
// defined in two files is an error naming both places.
// Every service is checked as it will run in every environment and region
// (overrides applied), so an override that breaks a service is reported.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/Diagnostic.h"
#include "config/Model.h"
#include "core/Result.h"

namespace ramp::config {

inline constexpr size_t kMaxFileBytes = 4u << 20;  // 4 MiB
inline constexpr size_t kMaxFiles = 256;

struct LoadResult {
  std::optional<Config> config;             // set iff diagnostics is empty
  std::vector<Diagnostic> diagnostics;
  bool ok() const { return config.has_value(); }
};

LoadResult loadConfigPath(const std::filesystem::path& path);

// `fileName` is used in diagnostics; `baseDir` becomes Config::baseDir.
LoadResult loadConfigText(std::string_view text, const std::string& fileName,
                          const std::filesystem::path& baseDir = {});

struct ConfigFile {
  std::string name;  // as shown in diagnostics (FILE:LINE:COL)
  std::string text;
};

// Files merged in the order given (a directory's are sorted by name);
// `baseDir` becomes Config::baseDir. At most kMaxFiles files of at most
// kMaxFileBytes each.
LoadResult loadConfigFiles(const std::vector<ConfigFile>& files, const std::filesystem::path& baseDir = {});

// Reads what loadConfigPath would load, without loading it. Problems
// (missing file, too large, no YAML files in a directory) are diagnostics.
struct ReadFiles {
  std::vector<ConfigFile> files;
  std::vector<Diagnostic> diagnostics;
  std::filesystem::path baseDir;  // absolute directory of the config
};
ReadFiles readConfigFiles(const std::filesystem::path& path);

// kInvalid with every diagnostic formatted (FILE:LINE:COL: error: ...), one
// per line, in the message (`where` stays empty: each line has its place).
Result<Config> loadConfig(const std::filesystem::path& path);

// What `ramp` reads when given `flag` (-f PATH or a positional path):
// the flag itself, else ./ramp.yaml.
std::filesystem::path configPathFor(const std::optional<std::string>& flag);

}  // namespace ramp::config
