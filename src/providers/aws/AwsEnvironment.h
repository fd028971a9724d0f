// AwsEnvironment.h — what the AWS providers need to know about one service
// in one `provider: aws` environment, read from the rendered configuration
// (`ramp render --json`: environment.aws.* and the service's release.image).
//
//   environments:
//     prod:
//       provider: aws
//       regions: [eu-west-1]
//       aws:
//         vpc: vpc-0abc
//         subnets: [subnet-a, subnet-b]      # >= 2, in >= 2 Availability Zones
//         security_groups: [sg-1]
//         load_balancer: ramp-prod            # name; created if missing
//         listener_port: 80
//         instance_port: 8080                 # port the instances serve on
//         image: ami-0123                     # default AMI (a release may name its own)
//         bundle_bucket: my-releases          # S3 bucket of content-addressed bundles
//         alarms: [prod-5xx]                  # CloudWatch alarms = rollback triggers
//
// fromRendered() checks what the providers rely on and names the field on
// error ("environment.aws.subnets"). The config layer checks the same with
// file positions; this is the engine-side guard for hand-made requests.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/Result.h"

namespace ramp::providers::aws {

struct AwsEnvironment {
  std::string project;
  std::string service;
  std::string env;
  std::vector<std::string> regions;
  std::string vpcId;
  std::vector<std::string> subnets;
  std::vector<std::string> securityGroups;
  std::string loadBalancer;          // name; "" = ramp-<service>-<env>
  int listenerPort = 80;
  int instancePort = 8080;
  std::string instanceType = "t3.micro";
  std::string image;                 // AMI id (release image, else environment default)
  std::string bundleBucket;          // "" = the AMI carries the release
  std::vector<std::string> alarms;

  // Each region's own network (VPCs, subnets and security groups are
  // regional): learned from that region's rendered config (which carries
  // aws.region_settings.<region>); a region not in here uses the fields above.
  struct Network {
    std::string vpcId;
    std::vector<std::string> subnets;
    std::vector<std::string> securityGroups;
  };
  std::map<std::string, Network> networks;  // by region

  // The rendered config's own region (its "region" key) is entered in
  // `networks` with the config's vpc / subnets / security groups.
  static Result<AwsEnvironment> fromRendered(const nlohmann::json& rendered);
  // A copy whose vpcId / subnets / securityGroups are `region`'s network.
  AwsEnvironment inRegion(const std::string& region) const;
  // loadBalancer, or ramp-<service>-<env> (<= 32 characters of [A-Za-z0-9-]).
  std::string loadBalancerName() const;
};

// Where the AWS providers look up an environment's settings by service and
// environment name (the provider dispatch learns them from deployments).
class AwsEnvironmentSource {
 public:
  virtual ~AwsEnvironmentSource() = default;
  virtual Result<AwsEnvironment> awsEnvironment(const std::string& service, const std::string& env) = 0;
  // Every region of every aws environment known (for lookups by tag).
  virtual std::vector<std::string> awsRegions() = 0;
};

}  // namespace ramp::providers::aws
