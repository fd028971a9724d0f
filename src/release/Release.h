// Release.h — one immutable, content-addressed build of one service version.
//
// A Release is what the release store recorded in
// $RAMP_HOME/releases/<service>/<version>/release.json, plus where its
// read-only tree lives. The tree (dir/"tree") is what the local provider
// runs instances from (FleetSpec.releasePath); `digest` is what is verified
// before every start (ReleaseStore::verify).
//
// release.json (format 1):
//   {"format":1, "service":"crawler", "version":"1.4.0",
//    "digest":"sha256:<hex>", "created_at":"2026-...Z", "created_at_ms":<int>,
//    "created_by":"alice", "source":"dir:/abs/path" | "build:<cmd> -> <dir>",
//    "files":12, "bytes":123456}
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/Result.h"

namespace ramp::release {

struct Release {
  std::string service;
  std::string version;
  std::string digest;         // "sha256:<64 hex>" (TreeDigest.h)
  int64_t createdAtMs = 0;    // Unix milliseconds
  std::string createdBy;      // OS user that created it
  std::string source;         // "dir:<abs path>" or "build:<command> -> <abs output dir>"
  uint64_t files = 0;         // regular files in the tree
  uint64_t bytes = 0;         // their total size
  std::filesystem::path dir;  // $RAMP_HOME/releases/<service>/<version> (not stored)

  // The read-only copy instances run from.
  std::filesystem::path tree() const { return dir / "tree"; }

  // The release.json document (without "path").
  nlohmann::json toJson() const;
  // toJson() plus "path": tree(), for `ramp release list --json` and the API.
  nlohmann::json toApiJson() const;
  // Parses a release.json document; `where` (the file) names errors.
  static Result<Release> fromJson(const nlohmann::json& j, const std::string& where);
};

}  // namespace ramp::release
