// ReleaseStore.h — immutable, content-addressed releases: recorded in the
// world's store, their files cached in a ramp home.
//
// The store (store/ReleaseStore.h) is where a release lives: its record
// (digest, size, who made it) and its contents (the bundle of its tree,
// ReleaseBundle.h). Every controller and CLI sharing the store sees every
// release. A home keeps a read-only copy of the releases it has used, a
// cache rebuilt from the store on demand (docs/releases.md):
//   $RAMP_HOME/releases/<service>/<version>/release.json   metadata (Release.h), 0444
//   $RAMP_HOME/releases/<service>/<version>/tree/          the read-only copy
//   $RAMP_HOME/releases/.staging/                          copies being made
//
// create() copies the source into a staging directory inside the home
// (ReadOnlyCopy.h: files 0444, or 0555 when executable; dirs 0555), computes
// the digest of that staged copy (TreeDigest.h), records the release and
// its bundle in the store, writes release.json, and renames the staged
// directory into place in one step: a crash never leaves a half release,
// only a stale staging directory (removed by later creates). A crash between
// the record and its contents leaves a record without contents: creating the
// same release again completes it.
//
// get() reads the record from the store; when the home has no copy it
// rebuilds one from the stored bundle (BundleReader.h) and checks that the
// rebuilt tree has the recorded digest before it is used (the store also
// checks the bundle's own sha256 on read). A copy in the home whose digest
// is not the recorded one is refused (kFailedPrecondition naming both).
// Releases a home holds that the store does not know (made before releases
// lived in the store) are recorded, with their contents, when get() or
// list() first meets them.
//
// Immutability: a service+version is written once. Creating it again with
// the same digest changes nothing (Created.created == false); with a
// different digest it is refused with kConflict naming both digests.
// verify() recomputes the digest of the home's copy; a release changed on
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
#include "store/ReleaseStore.h"

namespace ramp::release {

class ReleaseStore {
 public:
  struct Created {
    Release release;
    bool created = false;  // false: the identical release already existed
  };

  // `records`: the world's store (it must outlive this object).
  ReleaseStore(std::filesystem::path home, store::ReleaseStore& records, Clock& clock);

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

  // The release, with its files in this home (rebuilt from the store when
  // missing).
  Result<Release> get(const std::string& service, const std::string& version) const;

  // Every release the store knows (of `service` if given), ordered by
  // service, then creation time, then version. Release::dir is where this
  // home keeps (or would keep) its copy; nothing is rebuilt.
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
  // A new staging directory (mode 0700) under releases/.staging.
  Result<std::filesystem::path> newStage() const;
  // The home's copy as its release.json says (kNotFound when absent).
  Result<Release> readLocal(const std::string& service, const std::string& version) const;
  // The store's record (nullopt when none); a release only this home holds
  // is recorded first (with its contents).
  Result<std::optional<Release>> recorded(const std::string& service, const std::string& version) const;
  // Records `r` and the bundle of `tree` in the store (idempotent).
  Status publish(const Release& r, const std::filesystem::path& tree) const;
  // Rebuilds the home's copy of `r` from the store's bundle, checked.
  Status rebuild(const Release& r) const;
  // Writes release.json into `stage` and renames it to r's place.
  Status install(const Release& r, const std::filesystem::path& stage) const;

  std::filesystem::path root_;
  store::ReleaseStore& records_;
  Clock& clock_;
};

}  // namespace ramp::release
