// CatalogOverReleaseStore.h — the engine's ReleaseCatalog over the home's
// content-addressed ReleaseStore (release/ReleaseStore.h).
#pragma once

#include "engine/ReleaseCatalog.h"
#include "release/ReleaseStore.h"

namespace ramp::server {

class CatalogOverReleaseStore final : public engine::ReleaseCatalog {
 public:
  explicit CatalogOverReleaseStore(release::ReleaseStore& store) : store_(store) {}
  Result<engine::ReleaseRef> find(const std::string& service, const std::string& version) override;
  Status verify(const engine::ReleaseRef& release) override;

 private:
  release::ReleaseStore& store_;
};

}  // namespace ramp::server
