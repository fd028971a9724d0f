// EnvCredentialsProvider.h — AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN from the process environment.
//
// kNotFound when AWS_ACCESS_KEY_ID is unset; kInvalid naming the variable
// when only one of key id / secret is set.
#pragma once

#include "providers/aws/CredentialsProvider.h"

namespace ramp::providers::aws {

class EnvCredentialsProvider final : public CredentialsProvider {
 public:
  Result<AwsCredentials> credentials() override;
  std::string name() const override { return "env"; }
};

}  // namespace ramp::providers::aws
