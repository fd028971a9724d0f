// StaticCredentialsProvider.h — fixed credentials (tests, keys created at runtime).
#pragma once

#include "providers/aws/CredentialsProvider.h"

namespace ramp::providers::aws {

class StaticCredentialsProvider final : public CredentialsProvider {
 public:
  explicit StaticCredentialsProvider(AwsCredentials creds) : creds_(std::move(creds)) {}
  Result<AwsCredentials> credentials() override { return creds_; }
  std::string name() const override { return "static"; }

 private:
  AwsCredentials creds_;
};

}  // namespace ramp::providers::aws
