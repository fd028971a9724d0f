// AwsEnvironment.h — what the AWS providers need to know about one service
// in one region of a `provider: aws` environment, read from that region's
// rendered configuration (`ramp render --region R --json`:
// environment.aws.* and the service's release.image, config/EffectiveService.h).
//
// The infrastructure the deployments ride on (load balancer, listener, the
// service's rule, alarms, DNS record) is made by `ramp apply`; the rendered
// config carries its names (config/AwsResourceNames.h), so the providers find
// it by the same names and never create a load balancer of their own:
//
//   environment.aws:
//     load_balancer: ramp-shop-prod-use1       # this region's ALB
//     rule: {port: 80, protocol: HTTP, priority: 4912, host: web.prod.example.com}
//                                              # or paths: [/web, /web/*] without dns
//     vpc, subnets, security_groups            # this region's network
//     image: ami-0123 | ssm:/path/to/param     # this region's (release.image wins)
//     instance_port: 8080, bundle_bucket: ...
//     alarms: [...], fleet_alarms: [...]       # rollback triggers; the ones that
//                                              # watch the service's newest fleet
//     dns: {zone, record, routing, drain} | null
//
// fromRendered() checks what the providers rely on and names the field on
// error ("environment.aws.subnets"). The config layer checks the same with
// file positions; this is the engine-side guard for hand-made requests.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/Result.h"

namespace ramp::providers::aws {

struct AwsEnvironment {
  std::string project;
  std::string service;
  std::string env;
  std::string region;                // the rendered config's region
  std::vector<std::string> regions;  // every region of the environment
  std::string vpcId;
  std::vector<std::string> subnets;
  std::vector<std::string> securityGroups;
  std::string loadBalancer;          // this region's load balancer (the infrastructure's)
  int listenerPort = 80;
  int instancePort = 8080;
  std::string instanceType = "t3.micro";
  std::string image;                 // ami-..., or ssm:<parameter> resolved in the region
  std::string bundleBucket;          // "" = the AMI carries the release
  std::vector<std::string> alarms;   // rollback triggers (configured + the service's)
  std::vector<std::string> fleetAlarms;  // the service's alarms on its newest fleet's target group

  // The service's listener rule (made by `ramp apply`; its forward action
  // is the deployments').
  struct Rule {
    int port = 80;
    std::string protocol = "HTTP";
    int priority = 0;
    std::string host;                 // host-header condition, or
    std::vector<std::string> paths;   // path-pattern condition
  } rule;

  // The service's Route 53 record (aws.dns), if any.
  struct Dns {
    std::string zone, record, routing;
    bool drain = false;  // waves take the region out of DNS while they change it
  };
  std::optional<Dns> dns;

  static Result<AwsEnvironment> fromRendered(const nlohmann::json& rendered);
  // Where users reach the service in this region: https://<record> or
  // http(s)://<record>:<port> with DNS, else http://<ALB DNS name>:<port>/<service>.
  std::string url(const std::string& loadBalancerDns) const;
};

// Where the AWS providers look up an environment's settings (the provider
// dispatch learns them from the rendered configs of deployments).
class AwsEnvironmentSource {
 public:
  virtual ~AwsEnvironmentSource() = default;
  // One service in one region ("" = the environment's first region).
  virtual Result<AwsEnvironment> awsEnvironment(const std::string& service, const std::string& env,
                                                const std::string& region) = 0;
  // The regions of `env` (every aws environment's when nullopt), for lookups by tag.
  virtual std::vector<std::string> awsRegions(const std::optional<std::string>& env) = 0;
  // The region a fleet was created in, when known.
  virtual std::optional<std::string> fleetRegion(const std::string& fleetId) = 0;
};

}  // namespace ramp::providers::aws
