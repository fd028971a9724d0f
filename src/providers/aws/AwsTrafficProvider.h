// AwsTrafficProvider.h — entry points as ALB listeners with weighted target groups.
//
// An entry point {service, env, region} is a listener on the environment's
// Application Load Balancer (environment.aws.load_balancer, default
// ramp-<service>-<env>; created with the environment's subnets and security
// groups if missing — infrastructure as code takes this over in a later
// issue) on environment.aws.listener_port. ensureEntrypoint finds or creates
// both (a new listener answers a fixed 503 until a fleet has weight) and
// returns http://<ALB DNS name>:<port>.
//
// setTraffic: one forward action whose target groups are the fleets' (found
// by the deterministic names of AwsFleetProvider::resourceName; weight-0
// fleets stay in the action so that the read back equals the plan) — a
// ModifyListener only when the listener differs. Pinning: listener rules at
// priority 10 (header present, any value) and 11 (the "Cookie" header
// matching *<cookie>=*) forwarding to the pinned fleet's target group;
// stale ones are deleted. appliedTraffic reads DescribeListeners and
// DescribeRules back (never memory); a fleet's backends are the ids of the
// targets its target group reports healthy (the engine only counts a step
// done when weighted fleets have backends). inflight is not observable on
// an ALB: always 0 — draining is the target group's deregistration delay.
// Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "providers/Provider.h"
#include "providers/aws/AwsEnvironment.h"
#include "providers/aws/AwsRegionClients.h"

namespace ramp::providers::aws {

class AwsTrafficProvider final : public TrafficProvider {
 public:
  AwsTrafficProvider(AwsRegionClients& clients, AwsEnvironmentSource& environments);

  Result<std::string> ensureEntrypoint(const EntrypointKey& key) override;
  Status setTraffic(const TrafficSplit& split) override;
  Result<TrafficSplit> appliedTraffic(const EntrypointKey& key) override;
  Result<int64_t> inflight(const EntrypointKey& key, const std::string& fleetId) override;

  static constexpr int kHeaderRulePriority = 10;
  static constexpr int kCookieRulePriority = 11;

 private:
  struct Entry {
    std::string region, loadBalancerArn, listenerArn, url;
  };
  Result<Entry> entry(const EntrypointKey& key);
  Result<std::string> fleetOf(AwsClient& client, const std::string& targetGroupArn);

  AwsRegionClients& clients_;
  AwsEnvironmentSource& environments_;
  std::mutex mu_;
  std::map<EntrypointKey, Entry> entries_;
  std::map<std::string, std::string> fleetByTargetGroup_;
};

}  // namespace ramp::providers::aws
