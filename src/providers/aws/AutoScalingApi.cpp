#include "providers/aws/AutoScalingApi.h"

#include <algorithm>

#include "providers/aws/AwsError.h"
#include "providers/aws/QueryProtocol.h"

namespace ramp::providers::aws {
namespace {

constexpr const char* kSvc = "autoscaling";

std::string join(const std::vector<std::string>& v, char sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(sep, start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

AutoScalingGroup readGroup(const XmlNode& m) {
  AutoScalingGroup g;
  g.name = m.get("AutoScalingGroupName");
  g.arn = m.get("AutoScalingGroupARN");
  g.status = m.get("Status");
  g.minSize = queryInt(m.get("MinSize"));
  g.maxSize = queryInt(m.get("MaxSize"));
  g.desired = queryInt(m.get("DesiredCapacity"));
  g.launchTemplateId = m.path("LaunchTemplate/LaunchTemplateId").text();
  g.launchTemplateVersion = m.path("LaunchTemplate/Version").text();
  for (auto& a : m.child("AvailabilityZones").children("member")) g.availabilityZones.push_back(a.text());
  g.subnets = split(m.get("VPCZoneIdentifier"), ',');
  for (auto& t : m.child("TargetGroupARNs").children("member")) g.targetGroupArns.push_back(t.text());
  for (auto& s : m.child("SuspendedProcesses").children("member")) g.suspendedProcesses.push_back(s.get("ProcessName"));
  for (auto& i : m.child("Instances").children("member")) {
    g.instances.push_back({i.get("InstanceId"), i.get("LifecycleState"), i.get("HealthStatus"), i.get("AvailabilityZone")});
  }
  for (auto& t : m.child("Tags").children("member")) g.tags[t.get("Key")] = t.get("Value");
  return g;
}

}  // namespace

Status AutoScalingApi::createAutoScalingGroup(const AutoScalingGroupSpec& spec) {
  if (spec.name.empty() || spec.name.size() > 255) return invalid("group name must be 1..255 characters", "name");
  if (spec.launchTemplateId.empty()) return invalid("a launch template is required", "launchTemplateId");
  if (spec.subnets.empty()) return invalid("at least one subnet is required", "subnets");
  if (spec.minSize > spec.desired || spec.desired > spec.maxSize) {
    return invalid("needs min <= desired <= max", "desired");
  }
  QueryParams p{{"AutoScalingGroupName", spec.name},
                {"LaunchTemplate.LaunchTemplateId", spec.launchTemplateId},
                {"LaunchTemplate.Version", spec.launchTemplateVersion},
                {"MinSize", std::to_string(spec.minSize)},
                {"MaxSize", std::to_string(spec.maxSize)},
                {"DesiredCapacity", std::to_string(spec.desired)},
                {"VPCZoneIdentifier", join(spec.subnets, ',')},
                {"HealthCheckType", spec.healthCheckType},
                {"HealthCheckGracePeriod", std::to_string(spec.healthCheckGracePeriod)}};
  memberParams(p, "TargetGroupARNs", spec.targetGroupArns);
  int i = 0;
  for (const auto& [k, v] : spec.tags) {
    std::string key = "Tags.member." + std::to_string(++i);
    p.emplace_back(key + ".Key", k);
    p.emplace_back(key + ".Value", v);
    p.emplace_back(key + ".PropagateAtLaunch", "true");
    p.emplace_back(key + ".ResourceId", spec.name);
    p.emplace_back(key + ".ResourceType", "auto-scaling-group");
  }
  // Not sent again blindly: a create whose answer was lost may have been
  // carried out (moto then makes a second set of instances for the same
  // name where AWS answers AlreadyExists); the caller looks first.
  return queryDone(client_.query(kSvc, "CreateAutoScalingGroup", p, AwsClient::Retry::kIfNotCarriedOut));
}

Result<std::vector<AutoScalingGroup>> AutoScalingApi::describeAutoScalingGroups(const std::vector<std::string>& names) {
  std::vector<AutoScalingGroup> out;
  size_t batches = names.empty() ? 1 : (names.size() + kNamesPerCall - 1) / kNamesPerCall;
  for (size_t b = 0; b < batches; ++b) {
    std::vector<std::string> batch;
    if (!names.empty()) {
      batch.assign(names.begin() + static_cast<long>(b * kNamesPerCall),
                   names.begin() + static_cast<long>(std::min(names.size(), (b + 1) * kNamesPerCall)));
    }
    QueryParams p{{"MaxRecords", "100"}};
    memberParams(p, "AutoScalingGroupNames", batch);
    auto paged = queryPages(client_, kSvc, "DescribeAutoScalingGroups", p, kNextToken, 1000, [&out](const XmlNode& answer) {
      for (auto& m : answer.find("AutoScalingGroups").children("member")) out.push_back(readGroup(m));
    });
    if (!paged) return std::unexpected(paged.error());
  }
  return out;
}

Status AutoScalingApi::updateAutoScalingGroup(const std::string& name, int minSize, int maxSize, int desired) {
  if (minSize > desired || desired > maxSize) return invalid("needs min <= desired <= max", "desired");
  return queryDone(client_.query(kSvc, "UpdateAutoScalingGroup",
                           {{"AutoScalingGroupName", name},
                            {"MinSize", std::to_string(minSize)},
                            {"MaxSize", std::to_string(maxSize)},
                            {"DesiredCapacity", std::to_string(desired)}}));
}

Status AutoScalingApi::deleteAutoScalingGroup(const std::string& name, bool forceDelete) {
  auto doc = client_.query(kSvc, "DeleteAutoScalingGroup",
                           {{"AutoScalingGroupName", name}, {"ForceDelete", forceDelete ? "true" : "false"}});
  if (!doc) {
    auto code = AwsError::codeOf(doc.error());
    // A missing group is what we wanted (AWS: ValidationError "not found").
    if (doc.error().code == ErrorCode::kNotFound ||
        (code == "ValidationError" && doc.error().message.find("not found") != std::string::npos)) {
      return ok();
    }
    return std::unexpected(doc.error());
  }
  return ok();
}

Status AutoScalingApi::suspendProcesses(const std::string& name, const std::vector<std::string>& processes) {
  QueryParams p{{"AutoScalingGroupName", name}};
  memberParams(p, "ScalingProcesses", processes);
  return queryDone(client_.query(kSvc, "SuspendProcesses", p));
}

Status AutoScalingApi::resumeProcesses(const std::string& name, const std::vector<std::string>& processes) {
  QueryParams p{{"AutoScalingGroupName", name}};
  memberParams(p, "ScalingProcesses", processes);
  return queryDone(client_.query(kSvc, "ResumeProcesses", p));
}

Status AutoScalingApi::putTargetTrackingPolicy(const std::string& group, const std::string& policyName,
                                               const std::string& predefinedMetric, double targetValue,
                                               const std::string& resourceLabel) {
  QueryParams p{{"AutoScalingGroupName", group},
                {"PolicyName", policyName},
                {"PolicyType", "TargetTrackingScaling"},
                {"TargetTrackingConfiguration.PredefinedMetricSpecification.PredefinedMetricType", predefinedMetric},
                {"TargetTrackingConfiguration.TargetValue", std::to_string(targetValue)}};
  if (!resourceLabel.empty()) {
    p.emplace_back("TargetTrackingConfiguration.PredefinedMetricSpecification.ResourceLabel", resourceLabel);
  }
  return queryDone(client_.query(kSvc, "PutScalingPolicy", p));
}

Result<std::vector<ScalingPolicy>> AutoScalingApi::describePolicies(const std::string& group) {
  auto doc = client_.query(kSvc, "DescribePolicies", {{"AutoScalingGroupName", group}, {"MaxRecords", "100"}});
  if (!doc) return std::unexpected(doc.error());
  std::vector<ScalingPolicy> out;
  for (auto& m : doc->root().find("ScalingPolicies").children("member")) {
    ScalingPolicy sp;
    sp.name = m.get("PolicyName");
    sp.type = m.get("PolicyType");
    sp.predefinedMetric = m.path("TargetTrackingConfiguration/PredefinedMetricSpecification/PredefinedMetricType").text();
    sp.resourceLabel = m.path("TargetTrackingConfiguration/PredefinedMetricSpecification/ResourceLabel").text();
    std::string t = m.path("TargetTrackingConfiguration/TargetValue").text();
    try {
      sp.targetValue = t.empty() ? 0 : std::stod(t);
    } catch (...) {
      sp.targetValue = 0;
    }
    out.push_back(sp);
  }
  return out;
}

Result<std::vector<ScalingActivity>> AutoScalingApi::describeScalingActivities(const std::string& group, int max) {
  auto doc = client_.query(kSvc, "DescribeScalingActivities",
                           {{"AutoScalingGroupName", group}, {"MaxRecords", std::to_string(std::clamp(max, 1, 100))}});
  if (!doc) return std::unexpected(doc.error());
  std::vector<ScalingActivity> out;
  for (auto& m : doc->root().find("Activities").children("member")) {
    out.push_back({m.get("ActivityId"), m.get("StatusCode"), m.get("StatusMessage"), m.get("Description"),
                   m.get("Cause"), m.get("StartTime")});
  }
  return out;
}

}  // namespace ramp::providers::aws
