// AwsEndpoint.h — where a service's API lives, and the scope it is signed for.
//
// resolve("elasticloadbalancing", "eu-west-1") gives
// https://elasticloadbalancing.eu-west-1.amazonaws.com, signed as
// (eu-west-1, elasticloadbalancing). Special cases: route53 and iam are
// global (one endpoint, signed for us-east-1), China regions use
// amazonaws.com.cn. An override (per client option, else AWS_ENDPOINT_URL_<SERVICE>,
// else AWS_ENDPOINT_URL) replaces scheme, host and port but keeps the
// signing scope, which is also how emulators such as moto route requests.
// Services are named by their signing name: ec2, elasticloadbalancing,
// autoscaling, monitoring, sns, sts, ssm, route53, iam, secretsmanager,
// dynamodb, s3.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/Result.h"

namespace ramp::providers::aws {

struct AwsEndpoint {
  std::string url;            // "https://ec2.us-east-1.amazonaws.com" (no trailing slash)
  std::string host;           // "ec2.us-east-1.amazonaws.com" or "127.0.0.1:5000"
  std::string signingRegion;
  std::string signingService;

  // override: "" = none; otherwise "http(s)://host[:port][/]".
  static Result<AwsEndpoint> resolve(std::string_view service, std::string_view region,
                                     std::string_view overrideUrl = {});
  // AWS_ENDPOINT_URL_<SERVICE> (e.g. AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2)
  // or AWS_ENDPOINT_URL, "" if neither is set.
  static std::string overrideFromEnvironment(std::string_view service);
};

}  // namespace ramp::providers::aws
