#include "providers/aws/AwsEndpoint.h"

#include <cctype>
#include <cstdlib>

#include "config/AwsRegions.h"

namespace ramp::providers::aws {
namespace {

bool validRegion(std::string_view r) {
  if (r.empty() || r.size() > 32) return false;
  for (char c : r) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-')) {
      return false;
    }
  }
  return true;
}

std::string envServiceId(std::string_view service) {
  if (service == "elasticloadbalancing") return "ELASTIC_LOAD_BALANCING_V2";
  if (service == "autoscaling") return "AUTO_SCALING";
  if (service == "monitoring") return "CLOUDWATCH";
  if (service == "route53") return "ROUTE_53";
  if (service == "secretsmanager") return "SECRETS_MANAGER";
  std::string out;
  for (char c : service) out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return out;
}

}  // namespace

std::string AwsEndpoint::overrideFromEnvironment(std::string_view service) {
  std::string specific = "AWS_ENDPOINT_URL_" + envServiceId(service);
  if (const char* v = std::getenv(specific.c_str()); v && *v) return v;
  if (const char* v = std::getenv("AWS_ENDPOINT_URL"); v && *v) return v;
  return {};
}

Result<AwsEndpoint> AwsEndpoint::resolve(std::string_view service, std::string_view region,
                                         std::string_view overrideUrl) {
  AwsEndpoint e;
  e.signingService = std::string(service);
  bool global = service == "route53" || service == "iam";
  if (!global && !validRegion(region)) {
    return permanentFailure(ErrorCode::kInvalid, "region '" + std::string(region) + "' is not a valid AWS region name",
                            "region");
  }
  // A region AWS does not have can never answer (config/AwsRegions.h).
  if (!global && !config::isAwsRegion(region)) {
    return permanentFailure(ErrorCode::kInvalid, config::unknownAwsRegion(region), "region");
  }
  bool china = region.starts_with("cn-");
  std::string suffix = china ? "amazonaws.com.cn" : "amazonaws.com";
  if (global) {
    e.signingRegion = china ? "cn-northwest-1" : "us-east-1";
    e.host = std::string(service) + "." + suffix;
  } else {
    e.signingRegion = std::string(region);
    e.host = std::string(service) + "." + std::string(region) + "." + suffix;
  }
  e.url = "https://" + e.host;
  if (!overrideUrl.empty()) {
    std::string u(overrideUrl);
    auto scheme = u.find("://");
    if (scheme == std::string::npos || (u.substr(0, scheme) != "http" && u.substr(0, scheme) != "https")) {
      return invalid("endpoint override '" + u + "' must start with http:// or https://", "endpoint_url");
    }
    while (!u.empty() && u.back() == '/') u.pop_back();
    auto hostStart = scheme + 3;
    auto slash = u.find('/', hostStart);
    if (slash != std::string::npos) {
      return invalid("endpoint override '" + u + "' must not have a path", "endpoint_url");
    }
    e.host = u.substr(hostStart);
    if (e.host.empty()) return invalid("endpoint override '" + u + "' has no host", "endpoint_url");
    e.url = u;
  }
  return e;
}

}  // namespace ramp::providers::aws
