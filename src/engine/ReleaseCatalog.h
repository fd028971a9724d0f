// ReleaseCatalog.h — how the engine finds and re-checks releases.
//
// The engine never trusts a release's files: before a fleet is created it
// asks the catalog to verify the release's digest again (a release changed
// on disk is refused). Implemented over release::ReleaseStore in the
// controller; tests use an in-memory fake.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/Result.h"

namespace ramp::engine {

struct ReleaseRef {
  std::string service;
  std::string version;
  std::string digest;  // "sha256:<hex>"
  std::string path;    // where its read-only tree lives (local provider)
  int64_t createdAt = 0;
};

class ReleaseCatalog {
 public:
  virtual ~ReleaseCatalog() = default;
  virtual Result<ReleaseRef> find(const std::string& service, const std::string& version) = 0;
  // Recomputes the digest; kFailedPrecondition naming both digests if it changed.
  virtual Status verify(const ReleaseRef& release) = 0;
};

}  // namespace ramp::engine
