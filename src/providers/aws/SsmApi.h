// SsmApi.h — the one SSM Parameter Store call ramp makes (JSON 1.1,
// target "AmazonSSM"): reading a parameter's value in a region, e.g. the
// machine image of a release named by `image: ssm:/path/to/param`
// (AMIs are regional: each region's parameter holds that region's id).
// A parameter that does not exist is ParameterNotFound (kNotFound,
// permanent). Errors: see AwsClient.
#pragma once

#include <string>

#include "providers/aws/AwsClient.h"

namespace ramp::providers::aws {

class SsmApi {
 public:
  explicit SsmApi(AwsClient& client) : client_(client) {}

  Result<std::string> getParameter(const std::string& name);

 private:
  AwsClient& client_;
};

}  // namespace ramp::providers::aws
