// AutoScalingApi.h — typed EC2 Auto Scaling calls over AwsClient (Query protocol).
//
// What the AWS fleet provider needs: create a group on a launch template
// version across several subnets (one per Availability Zone) attached to
// target groups, with tags; describe groups (names batched by 50, which is
// what the API accepts per call; pages followed); update capacity; delete
// (ForceDelete terminates the instances with the group); suspend and resume
// scaling processes (held steady during a traffic switch); a target-tracking
// scaling policy. Idempotency: createAutoScalingGroup of a name that exists
// answers kConflict with AWS code AlreadyExists (the caller converges on the
// existing group); delete of a missing group is OK. Errors: see AwsClient.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "providers/aws/AwsClient.h"

namespace ramp::providers::aws {

struct AutoScalingGroupSpec {
  std::string name;
  std::string launchTemplateId;
  std::string launchTemplateVersion = "$Latest";
  int minSize = 1, maxSize = 1, desired = 1;
  std::vector<std::string> subnets;          // VPCZoneIdentifier, >= 2 for two AZs
  std::vector<std::string> targetGroupArns;
  std::map<std::string, std::string> tags;   // propagated at launch
  std::string healthCheckType = "ELB";
  int healthCheckGracePeriod = 60;
};

struct AsgInstance {
  std::string id, lifecycleState, healthStatus, availabilityZone;
};

struct AutoScalingGroup {
  std::string name, arn, status, launchTemplateId, launchTemplateVersion;
  int minSize = 0, maxSize = 0, desired = 0;
  std::vector<std::string> availabilityZones, subnets, targetGroupArns, suspendedProcesses;
  std::vector<AsgInstance> instances;
  std::map<std::string, std::string> tags;
};

// One entry of a group's scaling history (DescribeScalingActivities): a
// launch or termination, with its outcome.
struct ScalingActivity {
  std::string id, statusCode, statusMessage, description, cause, startTime;  // statusCode: Successful | Failed | ...
};

struct ScalingPolicy {
  std::string name, type, predefinedMetric, resourceLabel;
  double targetValue = 0;
};

class AutoScalingApi {
 public:
  explicit AutoScalingApi(AwsClient& client) : client_(client) {}

  Status createAutoScalingGroup(const AutoScalingGroupSpec& spec);
  // Groups by name (batched); all groups when `names` is empty.
  Result<std::vector<AutoScalingGroup>> describeAutoScalingGroups(const std::vector<std::string>& names = {});
  Status updateAutoScalingGroup(const std::string& name, int minSize, int maxSize, int desired);
  Status deleteAutoScalingGroup(const std::string& name, bool forceDelete);
  // processes empty = all of them.
  Status suspendProcesses(const std::string& name, const std::vector<std::string>& processes = {});
  Status resumeProcesses(const std::string& name, const std::vector<std::string>& processes = {});
  // Target tracking on a predefined metric (e.g. ASGAverageCPUUtilization,
  // ALBRequestCountPerTarget with resourceLabel "app/<lb>/<id>/targetgroup/<tg>/<id>").
  Status putTargetTrackingPolicy(const std::string& group, const std::string& policyName,
                                 const std::string& predefinedMetric, double targetValue,
                                 const std::string& resourceLabel = {});

  // The group's scaling policies (one page of up to 100: ramp puts one).
  Result<std::vector<ScalingPolicy>> describePolicies(const std::string& group);
  // The group's newest `max` scaling activities, newest first (one page).
  Result<std::vector<ScalingActivity>> describeScalingActivities(const std::string& group, int max = 5);

  static constexpr int kNamesPerCall = 50;

 private:
  AwsClient& client_;
};

}  // namespace ramp::providers::aws
