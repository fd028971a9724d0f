// ReleaseStore.h — immutable, content-addressed releases in a ramp home.
//
// Layout (docs/releases.md):
//   $RAMP_HOME/releases/<service>/<version>/release.json   metadata (Release.h), 0444
//   $RAMP_HOME/releases/<service>/<version>/tree/          the read-only copy
//   $RAMP_HOME/releases/.staging/                          copies being made
//
// create() copies the source into a staging directory inside the home
// (ReadOnlyCopy.h: files 0444, or 0555 when executable; dirs 0555), computes
// the digest of that staged copy (TreeDigest.h), writes release.json, and
// renames the staged directory into place in one step: a crash never leaves
// a half release, only a stale staging directory (removed by later creates).
//
// Immutability: a service+version is written once. Creating it again with
// the same digest changes nothing (Created.created == false); with a
// different digest it is refused with kConflict naming both digests.
// verify() recomputes the digest of the stored tree; a release changed on
// disk is refused with kFailedPrecondition:
//   "release crawler 1.4.0 changed on disk: expected sha256:..., found sha256:..."
//
// Names: a service is [a-z0-9][a-z0-9_-]* and a version is
// [0-9A-Za-z][0-9A-Za-z.+_-]*, each at most 64 characters; anything else is
// kInvalid naming the field ("service" / "version").
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/Clock.h"
#include "core/Result.h"
#include "release/BuildCommand.h"
#include "release/Release.h"

namespace ramp::release {

class ReleaseStore {
 public:
  struct Created {
    Release release;
    bool created = false;  // false: the identical release already existed
  };

  ReleaseStore(std::filesystem::path home, Clock& clock);

  // Stores a release from the directory `from`. `source` describes where it
  // came from for release.json (default "dir:<absolute from>").
  Result<Created> create(const std::string& service, const std::string& version,
                         const std::filesystem::path& from, const std::string& source = {});

  // Runs `buildCommand` with `sh -c` in `workdir` (RAMP_RELEASE_VERSION set;
  // BuildCommand.h), then create()s the release from `outputDir` (relative
  // to workdir unless absolute). A failing build changes nothing.
  Result<Created> createFromBuild(const std::string& service, const std::string& version,
                                  const std::filesystem::path& workdir,
                                  const std::string& buildCommand,
                                  const std::filesystem::path& outputDir,
                                  const BuildCommand::Options& options = {});

  Result<Release> get(const std::string& service, const std::string& version) const;

  // Every release (of `service` if given), ordered by service, then
  // creation time, then version.
  Result<std::vector<Release>> list(const std::optional<std::string>& service) const;

  // Recomputes the digest of the release's tree and compares it with
  // release.digest.
  Status verify(const Release& release) const;

  // $RAMP_HOME/releases
  const std::filesystem::path& root() const { return root_; }

  static Status validateService(const std::string& service);
  static Status validateVersion(const std::string& version);

 private:
  std::filesystem::path releaseDir(const std::string& service, const std::string& version) const;
  void removeStaleStaging() const;

  std::filesystem::path root_;
  Clock& clock_;
};

}  // namespace ramp::release
