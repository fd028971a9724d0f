// CredentialsChain.h — the default order AWS users expect.
//
// 1. environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN)
// 2. shared files (AWS_PROFILE or the given profile; static keys or AssumeRole)
// 3. IMDSv2 instance role
// The first provider that has credentials wins; a provider answering
// kNotFound passes to the next; any other error stops the chain (a broken
// profile must not silently fall back to the instance role). When no
// provider has credentials the error lists what was tried.
#pragma once

#include <memory>
#include <vector>

#include "core/Clock.h"
#include "providers/aws/CredentialsProvider.h"
#include "providers/aws/HttpTransport.h"

namespace ramp::providers::aws {

class CredentialsChain final : public CredentialsProvider {
 public:
  explicit CredentialsChain(std::vector<std::shared_ptr<CredentialsProvider>> providers);
  // env, profile (profile "" = AWS_PROFILE / default), IMDSv2.
  static std::shared_ptr<CredentialsChain> standard(HttpTransport& http, Clock& clock, std::string profile = {});
  Result<AwsCredentials> credentials() override;
  std::string name() const override { return "chain"; }

 private:
  std::vector<std::shared_ptr<CredentialsProvider>> providers_;
};

}  // namespace ramp::providers::aws
