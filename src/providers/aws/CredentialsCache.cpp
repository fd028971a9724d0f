#include "providers/aws/CredentialsCache.h"

namespace ramp::providers::aws {

Result<AwsCredentials> CredentialsCache::get(const std::function<Result<AwsCredentials>()>& fetch) {
  std::lock_guard lock(mu_);
  if (held_ && !held_->expiresWithin(clock_.now(), std::chrono::minutes(5))) return *held_;
  auto fresh = fetch();
  if (fresh) held_ = *fresh;
  return fresh;
}

}  // namespace ramp::providers::aws
