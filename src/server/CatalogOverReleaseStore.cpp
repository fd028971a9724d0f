#include "server/CatalogOverReleaseStore.h"

namespace ramp::server {

Result<engine::ReleaseRef> CatalogOverReleaseStore::find(const std::string& service,
                                                         const std::string& version) {
  auto r = store_.get(service, version);
  if (!r) {
    if (r.error().code == ErrorCode::kNotFound) {
      return notFound("no release " + service + " " + version +
                          "; create it first: ramp release create " + service + " --version " + version,
                      "version");
    }
    return std::unexpected(r.error());
  }
  return engine::ReleaseRef{r->service, r->version, r->digest, r->tree().string(), r->createdAtMs};
}

Status CatalogOverReleaseStore::verify(const engine::ReleaseRef& ref) {
  auto r = store_.get(ref.service, ref.version);
  if (!r) return std::unexpected(r.error());
  if (r->digest != ref.digest) {
    return failedPrecondition("release " + ref.service + " " + ref.version + " is recorded as " + r->digest +
                              " but the deployment expects " + ref.digest);
  }
  return store_.verify(*r);
}

}  // namespace ramp::server
