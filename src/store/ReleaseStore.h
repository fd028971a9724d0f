// ReleaseStore.h — the store's role for releases: immutable records by
// service + version, and their contents, so that every controller sharing
// the store can run any release (the files in a home are only a cache:
// release/ReleaseStore.h).
//
// putRelease of an existing service+version is OK when the digest is the
// same (no change) and kConflict (naming both digests) when it differs.
// getRelease: kNotFound. listReleases: by service, then creation time, then
// version (byte order).
//
// Contents are the release's bundle (release/ReleaseBundle.h: a
// deterministic tar of its tree), kept in chunks of kReleaseChunkBytes
// (tables release_contents, release_chunks) and as immutable as the record:
//  - putReleaseContent: kNotFound when the release has no record;
//    kInvalid when sha256(bytes) is not `sha256` (nothing written); OK and
//    no change when the same content is stored; kConflict naming both
//    digests when another one is. One transaction: all chunks or none.
//  - getReleaseContent: nullopt when none is stored; the bytes are
//    reassembled and their sha256 checked against the recorded one, a
//    mismatch (rows edited behind ramp's back) is kFailedPrecondition naming
//    both digests — corrupt content is never handed out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/Result.h"
#include "store/Json.h"

namespace ramp::store {

struct ReleaseRecord {
  std::string service;
  std::string version;
  std::string digest;      // "sha256:<hex>"
  std::string createdBy;
  int64_t createdAt = 0;
  Json doc = Json::object();  // where the bundle lives, size, file count, build info
};

inline constexpr size_t kReleaseChunkBytes = 1u << 20;

struct ReleaseContent {
  std::string sha256;  // lower-case hex of the bytes
  std::string bytes;
};

class ReleaseStore {
 public:
  virtual ~ReleaseStore() = default;
  virtual Status putRelease(const ReleaseRecord& r) = 0;
  virtual Status putReleaseContent(const std::string& service, const std::string& version,
                                   const std::string& sha256, std::string_view bytes) = 0;
  virtual Result<std::optional<ReleaseContent>> getReleaseContent(const std::string& service,
                                                                  const std::string& version) = 0;
  virtual Result<ReleaseRecord> getRelease(const std::string& service, const std::string& version) = 0;
  virtual Result<std::vector<ReleaseRecord>> listReleases(const std::optional<std::string>& service) = 0;
};

}  // namespace ramp::store
