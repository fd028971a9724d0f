// AssumeRoleCredentialsProvider.h — STS AssumeRole on top of other credentials.
//
// Calls sts:AssumeRole (Query protocol, signed with the source provider's
// credentials) for roleArn, caches the temporary credentials and renews
// them 5 minutes before they expire. Used for profiles with role_arn +
// source_profile (or credential_source) and for cross-account access.
// One HTTP exchange per renewal; errors carry the STS error code, never
// the source secret.
#pragma once

#include <memory>

#include "core/Clock.h"
#include "providers/aws/CredentialsCache.h"
#include "providers/aws/CredentialsProvider.h"
#include "providers/aws/HttpTransport.h"

namespace ramp::providers::aws {

struct AssumeRoleSpec {
  std::string roleArn;
  std::string sessionName = "ramp";
  std::string externalId;
  int durationSeconds = 3600;
  std::string region = "us-east-1";
  std::string endpointOverride;  // "" = resolve sts.<region>.amazonaws.com
};

class AssumeRoleCredentialsProvider final : public CredentialsProvider {
 public:
  AssumeRoleCredentialsProvider(AssumeRoleSpec spec, std::shared_ptr<CredentialsProvider> source,
                                HttpTransport& http, Clock& clock);
  Result<AwsCredentials> credentials() override;
  std::string name() const override { return "assume-role " + spec_.roleArn; }

 private:
  Result<AwsCredentials> assumeRole();

  AssumeRoleSpec spec_;
  std::shared_ptr<CredentialsProvider> source_;
  HttpTransport& http_;
  Clock& clock_;
  CredentialsCache cache_;
};

}  // namespace ramp::providers::aws
