// ConfigBundle.h — the files of one pushed configuration.
//
// A bundle is what `ramp config push` sends: the project's YAML files as
// (name, text), names relative to the configuration's directory (the file's
// own name for a single ramp.yaml; each *.yaml / *.yml of a directory),
// sorted by name. Everything that affects rendering is in these files
// (secrets are references resolved at instance start; releases are
// content-addressed and verified separately).
//
//   fromJson(files)   checks the API form [{"name", "text"}]: at most
//                     config::kMaxFiles files, names unique, text at most
//                     4 MiB each (kInvalid
//                     naming files[i].FIELD); a name is a plain file name
//                     (no directory, not hidden)
//   digest()          "sha256:<hex>" over the names and texts (length-
//                     prefixed, in name order): the version's identity
//   load()            config::loadConfigFiles: the same checks and the same
//                     FILE:LINE:COL diagnostics as `ramp validate`
//   fromDirectory(p)  what the CLI sends for -f PATH (a file or directory)
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/ConfigLoader.h"
#include "core/Result.h"

namespace ramp::record {

struct ConfigBundle {
  std::vector<config::ConfigFile> files;  // sorted by name

  std::string digest() const;
  config::LoadResult load() const;
  nlohmann::json toJson() const;
  static Result<ConfigBundle> fromJson(const nlohmann::json& files, const std::string& field = "files");
  // Reads -f PATH like the loader does; diagnostics formatted in the error.
  static Result<ConfigBundle> fromPath(const std::filesystem::path& path);
};

// Every diagnostic of a failed load, one FILE:LINE:COL line each.
std::string formatDiagnostics(const std::vector<config::Diagnostic>& diagnostics);

}  // namespace ramp::record
