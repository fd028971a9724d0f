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
//                     region's subnets (checked to span >= 2 Availability
//                     Zones), attached to the target group, ELB health checks
// <hash8> is the first 8 hex digits of sha256(fleet id), so a retry or a
// restarted controller computes the same names and finds what exists; the
// launch template also carries a ClientToken. Tags on every resource:
// ramp:project, ramp:service, ramp:env, ramp:region, ramp:release-digest,
// ramp:release-version, ramp:fleet, and ramp:deployment (the id of the
// deployment that created the fleet, when the spec names one).
//
// The machine image is the region's (AwsEnvironment.image): an ami-... id,
// or ssm:<parameter> read with SSM GetParameter in the fleet's region. It is
// checked with DescribeImages before anything is created; an image that
// does not exist is a permanent error naming it and the region.
//
// The fleet rides on the environment's infrastructure (`ramp apply`): a
// new fleet's target group becomes what the service's alarms watch
// (AwsEnvironment.fleetAlarms: their TargetGroup dimension is set to it and
// their state to INSUFFICIENT_DATA, "now watching ..."), so the alarms are
// the rollback triggers of the fleet being deployed. Traffic reaches it only
// through the service's listener rule (AwsTrafficProvider).
//
// Contract (Provider.h): createFleet converges (creates what is missing,
// resizes the group to N) and returns once the group exists, not once it is
// healthy; an existing fleet of another release digest is kConflict.
// fleetStatus: instances InService in the group AND healthy in the target
// group count as healthy (InstanceStatus.address = the instance id: ALB
// routes to registered instances, not to addresses ramp chooses); when the
// group has fewer instances than it wants, its newest failed scaling
// activity (DescribeScalingActivities) is FleetStatus.error ("launch
// failed: ..."). Answers are remembered (ReadSchedule): a steady fleet (all
// of its instances healthy) is read again after the slow period, a busy one
// after ~1 s, one ramp just changed at the next look.
// retireFleet deletes the group (ForceDelete), takes the target group out
// of the service's rule (the infrastructure's rule stays, answering a fixed
// 503 when no fleet is left) and deletes the deployment's pinning rules that
// send to it, points alarms that watched it at the service's remaining
// fleet with the most weight (or back at the load balancer alone), deletes
// the target group and then the launch template; unknown fleet = OK.
// Draining is the target group's deregistration delay (AWS-side).
// listFleets reads the groups' tags in the environment's regions (all aws
// regions when no env is given; a region that fails then is skipped, so one
// environment's broken region never hides another's fleets). A fleet is
// found in the region it was created in (AwsEnvironmentSource::fleetRegion)
// before any search. Scaling: see docs/aws.md (fixed size: min = max =
// desired with AZRebalance, AlarmNotification, ScheduledActions and
// AddToLoadBalancer suspended; autoscaled: target tracking;
// holdScaling(true) suspends Launch, Terminate, AlarmNotification and
// AZRebalance while traffic moves). Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "providers/Provider.h"
#include "providers/aws/AwsEnvironment.h"
#include "providers/aws/AwsRegionClients.h"
#include "providers/aws/ReadSchedule.h"

namespace ramp::providers::aws {

class AwsFleetProvider final : public FleetProvider {
 public:
  AwsFleetProvider(AwsRegionClients& clients, AwsEnvironmentSource& environments, Clock& clock);

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

  // The ami-... id a fleet of `e` launches, checked to exist in e.region.
  Result<std::string> machineImage(AwsClient& client, const AwsEnvironment& e);

 private:
  Status checkSubnets(AwsClient& client, const AwsEnvironment& e);
  // Points e.fleetAlarms at target group `tgArn` (all = true), or only the
  // ones watching `onlyFrom` (retire) at `tgArn` ("" = the load balancer alone).
  Status pointAlarms(AwsClient& client, const AwsEnvironment& e, const std::string& tgArn, const std::string& onlyFrom,
                     const std::string& why);
  // Takes target group `tgArn` out of every rule and default action of the
  // load balancers it is behind; returns the service rule's remaining
  // target group with the most weight ("" if none). The service's rule is
  // the one at `servicePriority` (0 = unknown), whether or not it still
  // forwards to `tgArn`: a rolled-back canary has weight 0 and is out of
  // the rule before it is retired, and the alarms must still follow the
  // fleet that now serves.
  Result<std::string> detachTargetGroup(AwsClient& client, const std::string& tgArn,
                                        std::vector<std::string> loadBalancerArns, int servicePriority);
  Result<FleetStatus> readStatus(const FleetRef& ref);

  AwsRegionClients& clients_;
  AwsEnvironmentSource& environments_;
  ReadSchedule reads_;
  std::mutex mu_;
  std::map<std::string, FleetRef> index_;
  std::map<std::string, bool> subnetsChecked_;
  std::map<std::string, std::string> imagesChecked_;  // region|image -> ami id
  std::map<std::string, FleetStatus> statusOf_;      // remembered answers (reads_)
};

}  // namespace ramp::providers::aws
