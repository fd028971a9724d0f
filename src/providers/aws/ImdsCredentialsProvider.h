// ImdsCredentialsProvider.h — EC2 instance-role credentials over IMDSv2.
//
// PUT /latest/api/token (X-aws-ec2-metadata-token-ttl-seconds: 21600), then
// GET /latest/meta-data/iam/security-credentials/ (the role name) and
// GET .../<role> (JSON: AccessKeyId, SecretAccessKey, Token, Expiration),
// each with the token header. Endpoint: AWS_EC2_METADATA_SERVICE_ENDPOINT
// or http://169.254.169.254. Short timeouts (1 s connect, 2 s total) so a
// machine outside EC2 falls through quickly; AWS_EC2_METADATA_DISABLED=true
// turns it off. kNotFound when no metadata service answers or no role is
// attached. Credentials are cached until 5 minutes before Expiration.
#pragma once

#include "core/Clock.h"
#include "providers/aws/CredentialsCache.h"
#include "providers/aws/CredentialsProvider.h"
#include "providers/aws/HttpTransport.h"

namespace ramp::providers::aws {

class ImdsCredentialsProvider final : public CredentialsProvider {
 public:
  ImdsCredentialsProvider(HttpTransport& http, Clock& clock, std::string endpoint = {});
  Result<AwsCredentials> credentials() override;
  std::string name() const override { return "imds"; }

 private:
  Result<AwsCredentials> fetch();

  HttpTransport& http_;
  std::string endpoint_;
  CredentialsCache cache_;
};

}  // namespace ramp::providers::aws
