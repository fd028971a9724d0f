#include "providers/aws/AwsFleetProvider.h"

#include <algorithm>
#include <set>

#include "core/Sha256.h"
#include "providers/aws/AutoScalingApi.h"
#include "providers/aws/AwsError.h"
#include "providers/aws/Ec2Api.h"
#include "providers/aws/ElbV2Api.h"
#include "providers/aws/LaunchUserData.h"

namespace ramp::providers::aws {
namespace {

std::string clean(const std::string& s, size_t max) {
  std::string out;
  for (char c : s) {
    if (out.size() >= max) break;
    bool okChar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out += okChar ? c : '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

std::map<std::string, std::string> tagsOf(const FleetSpec& spec, const AwsEnvironment& e, const std::string& region) {
  std::map<std::string, std::string> tags{{"ramp:project", e.project},
                                          {"ramp:service", spec.service},
                                          {"ramp:env", spec.env},
                                          {"ramp:region", region},
                                          {"ramp:release-digest", spec.releaseDigest},
                                          {"ramp:release-version", spec.releaseVersion},
                                          {"ramp:fleet", spec.fleetId}};
  if (!spec.deploymentId.empty()) tags["ramp:deployment"] = spec.deploymentId;
  if (spec.scaling) tags["ramp:scaling"] = spec.scaling->metric;
  return tags;
}

bool inService(const AsgInstance& i) { return i.lifecycleState == "InService"; }

// Scaling processes held while ramp owns the group's size.
const std::vector<std::string> kHeldProcesses{"AZRebalance", "AlarmNotification", "ScheduledActions",
                                              "AddToLoadBalancer"};
// An autoscaled group keeps only scheduled actions suspended: its policy
// works through CloudWatch alarms (AlarmNotification), and instances it
// launches must join the target group (AddToLoadBalancer).
const std::vector<std::string> kHeldProcessesAutoscaled{"ScheduledActions"};
// Held while traffic moves (holdScaling): nothing launches, terminates,
// reacts to an alarm or rebalances.
const std::vector<std::string> kSwitchHeldProcesses{"Launch", "Terminate", "AlarmNotification", "AZRebalance"};

// "app/<lb>/<id>/targetgroup/<tg>/<id>" from the two ARNs (empty when either is not an ARN).
std::string resourceLabel(const std::string& lbArn, const std::string& tgArn) {
  auto lb = lbArn.find(":loadbalancer/");
  auto tg = tgArn.find(":targetgroup/");
  if (lb == std::string::npos || tg == std::string::npos) return "";
  return lbArn.substr(lb + 14) + "/" + tgArn.substr(tg + 1);
}

}  // namespace

AwsFleetProvider::AwsFleetProvider(AwsRegionClients& clients, AwsEnvironmentSource& environments)
    : clients_(clients), environments_(environments) {}

std::string AwsFleetProvider::resourceName(const std::string& service, const std::string& env,
                                           const std::string& fleetId) {
  std::string e = clean(env, 6);
  std::string s = clean(service, 32 - 5 - 1 - 1 - 8 - e.size());
  return "ramp-" + s + "-" + e + "-" + sha256Hex(fleetId).substr(0, 8);
}

Status AwsFleetProvider::checkSubnets(AwsClient& client, const AwsEnvironment& e) {
  std::string key = client.options().region;
  for (auto& s : e.subnets) key += "," + s;
  {
    std::lock_guard lock(mu_);
    if (subnetsChecked_.contains(key)) return ok();
  }
  std::set<std::string> ids(e.subnets.begin(), e.subnets.end());
  auto subnets = Ec2Api(client).describeSubnets(std::vector<std::string>(ids.begin(), ids.end()));
  if (!subnets) {
    if (subnets.error().code == ErrorCode::kNotFound) {
      return failedPrecondition(subnets.error().message, "environment.aws.subnets");
    }
    return std::unexpected(subnets.error());
  }
  std::set<std::string> zones;
  for (auto& s : *subnets) zones.insert(s.availabilityZone);
  if (zones.size() < 2) {
    return failedPrecondition("subnets of environment '" + e.env + "' span " + std::to_string(zones.size()) +
                                  " Availability Zone(s); a fleet needs at least 2",
                              "environment.aws.subnets");
  }
  std::lock_guard lock(mu_);
  subnetsChecked_[key] = true;
  return ok();
}

Status AwsFleetProvider::createFleet(const FleetSpec& spec) {
  if (spec.fleetId.empty()) return invalid("fleet id is empty", "spec.fleetId");
  if (spec.instances < 1) return invalid("needs at least 1 instance", "spec.instances");
  if (spec.scaling && (spec.scaling->min < 1 || spec.scaling->min > spec.instances ||
                       spec.instances > spec.scaling->max)) {
    return invalid("scaling needs 1 <= min <= instances <= max", "spec.scaling");
  }
  if (spec.scaling && spec.scaling->metric != "requests" && spec.scaling->metric != "cpu") {
    return invalid("scaling metric '" + spec.scaling->metric + "' is not requests or cpu", "spec.scaling.metric");
  }
  if (spec.scaling && !(spec.scaling->target > 0)) return invalid("scaling target must be > 0", "spec.scaling.target");
  const int minSize = spec.scaling ? spec.scaling->min : spec.instances;
  const int maxSize = spec.scaling ? spec.scaling->max : spec.instances;
  auto e = environments_.awsEnvironment(spec.service, spec.env);
  if (!e) return std::unexpected(e.error());
  std::string region = spec.region.empty() || spec.region == "local" ? e->regions.front() : spec.region;
  *e = e->inRegion(region);
  AwsClient& client = clients_.forRegion(region);
  if (auto s = checkSubnets(client, *e); !s) return s;
  std::string name = resourceName(spec.service, spec.env, spec.fleetId);
  auto tags = tagsOf(spec, *e, region);

  // 1. Launch template (client token + deterministic name).
  LaunchTemplateSpec lt;
  lt.name = name;
  lt.clientToken = "ramp-" + sha256Hex(spec.fleetId + "|" + spec.releaseDigest).substr(0, 40);
  lt.imageId = e->image;
  lt.instanceType = spec.instanceType.empty() ? e->instanceType : spec.instanceType;
  lt.userData = LaunchUserData::script(spec, *e);
  lt.securityGroupIds = e->securityGroups;
  lt.tags = tags;
  Ec2Api ec2(client);
  auto tmpl = ec2.createLaunchTemplate(lt);
  if (!tmpl) return std::unexpected(tmpl.error());
  if (auto it = tmpl->tags.find("ramp:fleet"); it != tmpl->tags.end() && it->second != spec.fleetId) {
    return conflict("launch template " + name + " belongs to fleet " + it->second, "spec.fleetId");
  }
  if (auto it = tmpl->tags.find("ramp:release-digest"); it != tmpl->tags.end() && it->second != spec.releaseDigest) {
    return conflict("fleet " + spec.fleetId + " exists with release " + it->second + ", not " + spec.releaseDigest,
                    "spec.releaseDigest");
  }

  // 2. Target group.
  ElbV2Api elb(client);
  TargetGroupSpec tgs;
  tgs.name = name;
  tgs.port = e->instancePort;
  tgs.vpcId = e->vpcId;
  tgs.healthCheckPath = spec.health.path.empty() ? "/healthz" : spec.health.path;
  auto tg = elb.createTargetGroup(tgs);
  if (!tg) return std::unexpected(tg.error());
  if (auto t = elb.addTags({tg->arn}, tags); !t) return t;

  // 3. Auto Scaling group: min = max = desired = N, or with scaling
  //    min/max from config and desired = N (the starting capacity).
  AutoScalingApi asg(client);
  auto existing = asg.describeAutoScalingGroups({name});
  if (!existing) return std::unexpected(existing.error());
  if (!existing->empty()) {
    const auto& g = existing->front();
    if (auto it = g.tags.find("ramp:release-digest"); it != g.tags.end() && it->second != spec.releaseDigest) {
      return conflict("fleet " + spec.fleetId + " exists with release " + it->second, "spec.releaseDigest");
    }
    // An autoscaled group keeps the capacity its policy chose (within min..max).
    int desired = spec.scaling ? std::clamp(g.desired, minSize, maxSize) : spec.instances;
    if (g.minSize != minSize || g.maxSize != maxSize || g.desired != desired) {
      if (auto u = asg.updateAutoScalingGroup(name, minSize, maxSize, desired); !u) return u;
    }
  } else {
    AutoScalingGroupSpec gs;
    gs.name = name;
    gs.launchTemplateId = tmpl->id;
    gs.launchTemplateVersion = "$Latest";
    gs.minSize = minSize;
    gs.maxSize = maxSize;
    gs.desired = spec.instances;
    gs.subnets = e->subnets;
    gs.targetGroupArns = {tg->arn};
    gs.tags = tags;
    gs.healthCheckGracePeriod = static_cast<int>(std::max<int64_t>(0, spec.health.interval.count() / 1000 * 3));
    auto c = asg.createAutoScalingGroup(gs);
    if (!c && AwsError::codeOf(c.error()) != "AlreadyExists") return c;
  }
  if (auto s = asg.suspendProcesses(name, spec.scaling ? kHeldProcessesAutoscaled : kHeldProcesses); !s) return s;

  // 4. Target tracking (PutScalingPolicy overwrites a policy of the same
  //    name: a retry converges).
  if (spec.scaling) {
    std::string metric = "ASGAverageCPUUtilization";
    std::string label;
    if (spec.scaling->metric == "requests") {
      metric = "ALBRequestCountPerTarget";
      AwsEnvironment env = *e;
      env.service = spec.service;
      env.env = spec.env;
      auto lbs = elb.describeLoadBalancers({env.loadBalancerName()});
      if (!lbs && lbs.error().code != ErrorCode::kNotFound) return std::unexpected(lbs.error());
      if (!lbs || lbs->empty()) {
        return failedPrecondition("scaling on requests per instance needs the load balancer " +
                                      env.loadBalancerName() + " (the entry point) to exist first",
                                  "service.scaling.target_requests_per_instance");
      }
      label = resourceLabel(lbs->front().arn, tg->arn);
      if (label.empty()) {
        return internal("cannot form the ALB resource label from " + lbs->front().arn + " and " + tg->arn,
                        "service.scaling");
      }
    }
    if (auto p = asg.putTargetTrackingPolicy(name, policyName(name), metric, spec.scaling->target, label); !p) {
      return p;
    }
  }
  std::lock_guard lock(mu_);
  index_[spec.fleetId] = FleetRef{spec.fleetId, spec.service, spec.env, region, name};
  return ok();
}

std::string AwsFleetProvider::policyName(const std::string& groupName) { return groupName + "-target-tracking"; }

Status AwsFleetProvider::holdScaling(const std::string& fleetId, bool hold) {
  auto ref = locate(fleetId);
  if (!ref) return std::unexpected(ref.error());
  if (!*ref) return ok();
  AutoScalingApi asg(clients_.forRegion((*ref)->region));
  auto groups = asg.describeAutoScalingGroups({(*ref)->name});
  if (!groups) return std::unexpected(groups.error());
  if (groups->empty() || !groups->front().status.empty()) return ok();  // none, or being deleted
  const auto& g = groups->front();
  if (hold) return asg.suspendProcesses(g.name, kSwitchHeldProcesses);
  // A fixed-size group keeps AlarmNotification and AZRebalance suspended.
  if (!g.tags.contains("ramp:scaling")) return asg.resumeProcesses(g.name, {"Launch", "Terminate"});
  return asg.resumeProcesses(g.name, kSwitchHeldProcesses);
}

Result<std::optional<AwsFleetProvider::FleetRef>> AwsFleetProvider::locate(const std::string& fleetId) {
  {
    std::lock_guard lock(mu_);
    if (auto it = index_.find(fleetId); it != index_.end()) return std::optional<FleetRef>(it->second);
  }
  // Launch templates are created first and deleted last: every fleet with
  // any resource left has one, tagged with its fleet id.
  auto regions = environments_.awsRegions();
  if (regions.empty()) regions.push_back(clients_.defaultRegion());
  for (const auto& region : regions) {
    auto found = Ec2Api(clients_.forRegion(region)).launchTemplatesTagged("ramp:fleet", fleetId);
    if (!found) return std::unexpected(found.error());
    for (auto& t : *found) {
      if (t.tags["ramp:fleet"] != fleetId) continue;
      FleetRef ref{fleetId, t.tags["ramp:service"], t.tags["ramp:env"], region, t.name};
      std::lock_guard lock(mu_);
      index_[fleetId] = ref;
      return std::optional<FleetRef>(ref);
    }
  }
  return std::optional<FleetRef>();
}

Result<FleetStatus> AwsFleetProvider::fleetStatus(const std::string& fleetId) {
  FleetStatus st;
  st.fleetId = fleetId;
  auto ref = locate(fleetId);
  if (!ref) return std::unexpected(ref.error());
  if (!*ref) return st;
  AwsClient& client = clients_.forRegion((*ref)->region);
  auto groups = AutoScalingApi(client).describeAutoScalingGroups({(*ref)->name});
  if (!groups) return std::unexpected(groups.error());
  if (groups->empty() || !groups->front().status.empty()) return st;  // none, or being deleted
  const auto& g = groups->front();
  st.exists = true;
  st.desired = g.desired;
  std::set<std::string> healthyTargets;
  ElbV2Api elb(client);
  auto tgs = elb.describeTargetGroups({(*ref)->name});
  if (!tgs && tgs.error().code != ErrorCode::kNotFound) return std::unexpected(tgs.error());
  if (tgs && !tgs->empty()) {
    auto health = elb.describeTargetHealth(tgs->front().arn);
    if (!health) return std::unexpected(health.error());
    for (auto& h : *health) {
      if (h.state == "healthy") healthyTargets.insert(h.id);
    }
  } else {
    st.error = "target group " + (*ref)->name + " is missing";
  }
  for (const auto& i : g.instances) {
    InstanceStatus is;
    is.id = i.id;
    is.address = i.id;
    bool up = inService(i);
    if (up) ++st.running;
    if (up && healthyTargets.contains(i.id)) {
      is.state = "healthy";
      ++st.healthy;
    } else if (i.lifecycleState == "Pending" || i.lifecycleState.starts_with("Pending") ||
               (up && !healthyTargets.contains(i.id) && i.healthStatus == "Healthy")) {
      is.state = "starting";
    } else if (i.lifecycleState.starts_with("Terminat")) {
      is.state = "exited";
    } else {
      is.state = "unhealthy";
    }
    if (i.healthStatus == "Unhealthy") is.lastError = "Auto Scaling health status Unhealthy";
    st.instances.push_back(is);
  }
  return st;
}

Status AwsFleetProvider::retireFleet(const std::string& fleetId, std::chrono::milliseconds) {
  auto ref = locate(fleetId);
  if (!ref) return std::unexpected(ref.error());
  if (!*ref) return ok();
  const auto& r = **ref;
  AwsClient& client = clients_.forRegion(r.region);
  // 1. The group and its instances.
  if (auto d = AutoScalingApi(client).deleteAutoScalingGroup(r.name, true); !d) return d;
  // ForceDelete ends the group's instances, but an instance the group no
  // longer counted (a launch whose answer was lost, a retried delete) would
  // outlive the fleet: end whatever still carries the fleet's tag.
  {
    Ec2Api ec2(client);
    auto left = ec2.instancesTagged("ramp:fleet", fleetId);
    if (!left) return std::unexpected(left.error());
    std::vector<std::string> ids;
    for (const auto& i : *left) ids.push_back(i.id);
    if (!ids.empty()) {
      if (auto t = ec2.terminateInstances(ids); !t) return t;
    }
  }
  // 2. The target group, once no listener action sends it traffic.
  ElbV2Api elb(client);
  auto tgs = elb.describeTargetGroups({r.name});
  if (!tgs && tgs.error().code != ErrorCode::kNotFound) return std::unexpected(tgs.error());
  if (tgs && !tgs->empty()) {
    const auto& tg = tgs->front();
    std::set<std::string> lbArns(tg.loadBalancerArns.begin(), tg.loadBalancerArns.end());
    // Some emulators (moto) do not list a target group's load balancers:
    // look at the environment's own too.
    if (auto e = environments_.awsEnvironment(r.service, r.env)) {
      e->service = r.service;
      e->env = r.env;
      auto lbs = elb.describeLoadBalancers({e->loadBalancerName()});
      if (lbs && !lbs->empty()) lbArns.insert(lbs->front().arn);
    }
    for (const auto& lbArn : lbArns) {
      auto listeners = elb.describeListeners(lbArn);
      if (!listeners) return std::unexpected(listeners.error());
      for (const auto& l : *listeners) {
        auto rules = elb.describeRules(l.arn);
        if (!rules) return std::unexpected(rules.error());
        for (const auto& rule : *rules) {
          if (rule.isDefault) continue;
          for (const auto& f : rule.forward) {
            if (f.targetGroupArn == tg.arn) {
              if (auto d = elb.deleteRule(rule.arn); !d) return d;
              break;
            }
          }
        }
        std::vector<WeightedTargetGroup> keep;
        bool found = false;
        for (const auto& f : l.forward) {
          if (f.targetGroupArn != tg.arn) {
            keep.push_back(f);
            continue;
          }
          found = true;
        }
        if (found) {
          // No positive weight left: the listener answers 503 (no fleet).
          bool anyWeight = std::any_of(keep.begin(), keep.end(), [](auto& f) { return f.weight > 0; });
          if (!anyWeight) keep.clear();
          if (auto m = elb.modifyListener(l.arn, keep); !m) return std::unexpected(m.error());
        }
      }
    }
    auto d = elb.deleteTargetGroup(tg.arn);
    if (!d && d.error().code != ErrorCode::kNotFound) return d;
  }
  // 3. The launch template last (it is how a half-retired fleet is found).
  Ec2Api ec2(client);
  auto templates = ec2.describeLaunchTemplates({r.name});
  if (!templates) return std::unexpected(templates.error());
  if (!templates->empty()) {
    if (auto d = ec2.deleteLaunchTemplate(r.name); !d) return d;
  }
  std::lock_guard lock(mu_);
  index_.erase(fleetId);
  return ok();
}

Result<std::vector<std::string>> AwsFleetProvider::listFleets(const std::optional<std::string>& service,
                                                              const std::optional<std::string>& env) {
  std::set<std::string> out;
  auto regions = environments_.awsRegions();
  if (regions.empty()) regions.push_back(clients_.defaultRegion());
  for (const auto& region : regions) {
    AwsClient& client = clients_.forRegion(region);
    auto groups = AutoScalingApi(client).describeAutoScalingGroups();
    if (!groups) return std::unexpected(groups.error());
    auto match = [&](std::map<std::string, std::string>& tags) {
      if (!tags.contains("ramp:fleet")) return false;
      if (service && tags["ramp:service"] != *service) return false;
      if (env && tags["ramp:env"] != *env) return false;
      return true;
    };
    for (auto& g : *groups) {
      if (g.status.empty() && match(g.tags)) out.insert(g.tags["ramp:fleet"]);
    }
    // Half-created or half-retired fleets (a template but no group) too, so
    // that they can be retired.
    auto templates = Ec2Api(client).launchTemplatesTagged("ramp:service", service.value_or("*"));
    if (!templates) return std::unexpected(templates.error());
    for (auto& t : *templates) {
      if (match(t.tags)) out.insert(t.tags["ramp:fleet"]);
    }
  }
  return std::vector<std::string>(out.begin(), out.end());
}

}  // namespace ramp::providers::aws
