// AwsFleetProvider.h — fleets as EC2 Auto Scaling groups behind ALB target groups.
//
// A fleet is three resources, all named from the fleet id and tagged:
//   launch template   ramp-<service>-<env>-<hash8>  (AMI of the release, instance
//                     type, security groups, user data that fetches the release
//                     bundle from a content-addressed S3 key and checks its
//                     sha256 before starting it — see LaunchUserData.h)
//   target group      same name (<= 32 characters), HTTP on the instance port,
//                     health check = the service's health path
//   Auto Scaling group  same name, min = max = desired = N, over the
//                     environment's subnets (checked to span >= 2 Availability
//                     Zones), attached to the target group, ELB health checks
// <hash8> is the first 8 hex digits of sha256(fleet id), so a retry or a
// restarted controller computes the same names and finds what exists; the
// launch template also carries a ClientToken. Tags on every resource:
// ramp:project, ramp:service, ramp:env, ramp:region, ramp:release-digest,
// ramp:release-version, ramp:fleet, and ramp:deployment (the id of the
// deployment that created the fleet, when the spec names one).
//
// Contract (Provider.h): createFleet converges (creates what is missing,
// resizes the group to N) and returns once the group exists, not once it is
// healthy; an existing fleet of another release digest is kConflict.
// fleetStatus: instances InService in the group AND healthy in the target
// group count as healthy (InstanceStatus.address = the instance id: ALB
// routes to registered instances, not to addresses ramp chooses).
// retireFleet deletes the group (ForceDelete), detaches the target group from
// listener rules and forward actions (the engine moves traffic away first;
// if no positive weight is left the listener answers a fixed 503), deletes
// the target group and then the launch template; unknown fleet = OK. Draining is
// the target group's deregistration delay (AWS-side). listFleets reads the
// groups' tags. A fixed-size fleet (no spec.scaling) has min = max = desired
// and AZRebalance, AlarmNotification, ScheduledActions and AddToLoadBalancer
// suspended. An autoscaled fleet (spec.scaling) has MinSize/MaxSize from
// config, DesiredCapacity = spec.instances when created (a converging retry
// keeps the capacity its policy chose), the tag ramp:scaling = requests|cpu,
// only ScheduledActions suspended, and one target-tracking policy named
// <group>-target-tracking (ALBRequestCountPerTarget with the resource label
// of the environment's load balancer and the fleet's target group, which
// must exist first, or ASGAverageCPUUtilization). holdScaling(true) suspends
// Launch, Terminate, AlarmNotification and AZRebalance; holdScaling(false)
// resumes them (a fixed-size group: Launch and Terminate only); an unknown
// fleet is OK. Settings per environment come from the AwsEnvironmentSource.
// Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "providers/Provider.h"
#include "providers/aws/AwsEnvironment.h"
#include "providers/aws/AwsRegionClients.h"

namespace ramp::providers::aws {

class AwsFleetProvider final : public FleetProvider {
 public:
  AwsFleetProvider(AwsRegionClients& clients, AwsEnvironmentSource& environments);

  Status createFleet(const FleetSpec& spec) override;
  Result<FleetStatus> fleetStatus(const std::string& fleetId) override;
  Status retireFleet(const std::string& fleetId, std::chrono::milliseconds drain) override;
  Result<std::vector<std::string>> listFleets(const std::optional<std::string>& service,
                                              const std::optional<std::string>& env) override;
  Status holdScaling(const std::string& fleetId, bool hold) override;

  // Name of the fleet group's target-tracking policy: <group>-target-tracking.
  static std::string policyName(const std::string& groupName);

  // ramp-<service>-<env>-<hash8>, at most 32 characters of [A-Za-z0-9-].
  static std::string resourceName(const std::string& service, const std::string& env, const std::string& fleetId);

  struct FleetRef {
    std::string fleetId, service, env, region, name;
  };
  // Where a fleet lives: remembered, else found by its ramp:fleet tag.
  Result<std::optional<FleetRef>> locate(const std::string& fleetId);

 private:
  Status checkSubnets(AwsClient& client, const AwsEnvironment& e);

  AwsRegionClients& clients_;
  AwsEnvironmentSource& environments_;
  std::mutex mu_;
  std::map<std::string, FleetRef> index_;
  std::map<std::string, bool> subnetsChecked_;
};

}  // namespace ramp::providers::aws
