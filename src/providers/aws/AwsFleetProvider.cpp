#include "providers/aws/AwsFleetProvider.h"

#include <algorithm>
#include <set>

#include "core/Sha256.h"
#include "providers/aws/AlarmApi.h"
#include "providers/aws/AutoScalingApi.h"
#include "providers/aws/AwsError.h"
#include "providers/aws/CloudWatchApi.h"
#include "providers/aws/Ec2Api.h"
#include "providers/aws/ElbV2Api.h"
#include "providers/aws/LaunchUserData.h"
#include "providers/aws/SsmApi.h"

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

// The CloudWatch dimension of a target group: "targetgroup/<name>/<id>".
std::string targetGroupDimension(const std::string& tgArn) {
  auto tg = tgArn.find(":targetgroup/");
  return tg == std::string::npos ? tgArn : tgArn.substr(tg + 1);
}

}  // namespace

AwsFleetProvider::AwsFleetProvider(AwsRegionClients& clients, AwsEnvironmentSource& environments, Clock& clock)
    : clients_(clients), environments_(environments), reads_(clock) {}

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
      return permanentFailure(ErrorCode::kFailedPrecondition,
                              subnets.error().message + " (in " + e.region + ")", "environment.aws.subnets");
    }
    return std::unexpected(subnets.error());
  }
  std::set<std::string> zones;
  for (auto& s : *subnets) zones.insert(s.availabilityZone);
  if (zones.size() < 2) {
    return permanentFailure(ErrorCode::kFailedPrecondition,
                            "subnets of environment '" + e.env + "' in " + e.region + " span " +
                                std::to_string(zones.size()) + " Availability Zone(s); a fleet needs at least 2",
                            "environment.aws.subnets");
  }
  std::lock_guard lock(mu_);
  subnetsChecked_[key] = true;
  return ok();
}

Result<std::string> AwsFleetProvider::machineImage(AwsClient& client, const AwsEnvironment& e) {
  const std::string key = e.region + "|" + e.image;
  {
    std::lock_guard lock(mu_);
    if (auto it = imagesChecked_.find(key); it != imagesChecked_.end()) return it->second;
  }
  std::string ami = e.image;
  if (ami.starts_with("ssm:")) {
    auto value = SsmApi(client).getParameter(ami.substr(4));
    if (!value) {
      if (value.error().code == ErrorCode::kNotFound || value.error().permanent) {
        return permanentFailure(ErrorCode::kFailedPrecondition,
                                "the machine image parameter " + ami.substr(4) + " cannot be read in " + e.region +
                                    ": " + value.error().message,
                                "release.image");
      }
      return std::unexpected(value.error());
    }
    ami = *value;
  }
  auto images = Ec2Api(client).describeImages({ami});
  if (!images || images->empty()) {
    std::string why = images ? "not found" : images.error().message;
    if (!images && !images.error().permanent && images.error().code != ErrorCode::kNotFound) {
      return std::unexpected(images.error());
    }
    return permanentFailure(ErrorCode::kFailedPrecondition,
                            "machine image " + ami + (ami == e.image ? "" : " (from " + e.image + ")") +
                                " does not exist in " + e.region + " (AMIs are regional: give each region its own, "
                                "aws.region_settings.<region>.image or image: ssm:<parameter>): " + why,
                            "release.image");
  }
  if (images->front().state != "available" && !images->front().state.empty()) {
    return unavailable("machine image " + ami + " in " + e.region + " is " + images->front().state, "release.image");
  }
  std::lock_guard lock(mu_);
  imagesChecked_[key] = ami;
  return ami;
}

Status AwsFleetProvider::pointAlarms(AwsClient& client, const AwsEnvironment& e, const std::string& tgArn,
                                     const std::string& onlyFrom, const std::string& why) {
  if (e.fleetAlarms.empty()) return ok();
  AlarmApi api(client);
  auto alarms = api.describeAlarms(e.fleetAlarms);
  if (!alarms) return std::unexpected(alarms.error());
  std::set<std::string> found;
  for (auto& a : *alarms) {
    found.insert(a.spec.name);
    auto& dims = a.spec.dimensions;
    auto current = dims.contains("TargetGroup") ? dims["TargetGroup"] : std::string();
    if (!onlyFrom.empty() && current != targetGroupDimension(onlyFrom)) continue;
    std::string want = tgArn.empty() ? std::string() : targetGroupDimension(tgArn);
    if (current == want) continue;
    if (want.empty()) dims.erase("TargetGroup");
    else dims["TargetGroup"] = want;
    if (auto p = api.putMetricAlarm(a.spec, {}); !p) return p;
    // What the alarm said was about another fleet: it is re-evaluated on
    // the one it watches now.
    std::string reason = "ramp: now watching " + (want.empty() ? "the load balancer" : want) + " (" + why + ")";
    if (auto s = CloudWatchApi(client).setAlarmState(a.spec.name, "INSUFFICIENT_DATA", reason); !s) return s;
  }
  if (onlyFrom.empty()) {
    for (const auto& name : e.fleetAlarms) {
      if (!found.contains(name)) {
        return permanentFailure(ErrorCode::kFailedPrecondition,
                                "alarm " + name + " (a rollback trigger of " + e.service + ") does not exist in " +
                                    e.region + ": run `ramp apply --env " + e.env + "`",
                                "environment.aws.fleet_alarms");
      }
    }
  }
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
  std::string region = spec.region == "local" ? "" : spec.region;
  auto e = environments_.awsEnvironment(spec.service, spec.env, region);
  if (!e) return std::unexpected(e.error());
  region = e->region;
  AwsClient& client = clients_.forRegion(region);
  reads_.changed(spec.fleetId);
  if (auto s = checkSubnets(client, *e); !s) return s;
  auto ami = machineImage(client, *e);
  if (!ami) return std::unexpected(ami.error());
  std::string name = resourceName(spec.service, spec.env, spec.fleetId);
  auto tags = tagsOf(spec, *e, region);
  {
    // Recorded before anything is made, so a half-made fleet is retired in
    // the right region.
    std::lock_guard lock(mu_);
    index_[spec.fleetId] = FleetRef{spec.fleetId, spec.service, spec.env, region, name};
  }

  // 1. Launch template (client token + deterministic name).
  LaunchTemplateSpec lt;
  lt.name = name;
  lt.clientToken = "ramp-" + sha256Hex(spec.fleetId + "|" + spec.releaseDigest).substr(0, 40);
  lt.imageId = *ami;
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
    // A create that may have been carried out (its answer lost) is looked
    // for before it is sent again: never a second group's instances.
    for (int attempt = 1;; ++attempt) {
      auto c = asg.createAutoScalingGroup(gs);
      if (c || AwsError::codeOf(c.error()) == "AlreadyExists") break;
      if (!AwsClient::maybeCarriedOut(c.error()) || attempt == 3) return c;
      auto made = asg.describeAutoScalingGroups({name});
      if (!made) return std::unexpected(made.error());
      if (!made->empty()) break;
    }
  }
  if (auto s = asg.suspendProcesses(name, spec.scaling ? kHeldProcessesAutoscaled : kHeldProcesses); !s) return s;

  // 4. Target tracking (PutScalingPolicy overwrites a policy of the same
  //    name: a retry converges), on the infrastructure's load balancer.
  std::string lbArn;
  if (spec.scaling && spec.scaling->metric == "requests") {
    auto lbs = elb.describeLoadBalancers({e->loadBalancer});
    if (!lbs && lbs.error().code != ErrorCode::kNotFound) return std::unexpected(lbs.error());
    if (!lbs || lbs->empty()) {
      return permanentFailure(ErrorCode::kFailedPrecondition,
                              "scaling on requests per instance needs the load balancer " + e->loadBalancer + " in " +
                                  region + " (the environment's infrastructure): run `ramp apply --env " + spec.env + "`",
                              "service.scaling.target_requests_per_instance");
    }
    lbArn = lbs->front().arn;
  }
  if (spec.scaling) {
    std::string metric = spec.scaling->metric == "requests" ? "ALBRequestCountPerTarget" : "ASGAverageCPUUtilization";
    std::string label;
    if (spec.scaling->metric == "requests") {
      label = resourceLabel(lbArn, tg->arn);
      if (label.empty()) {
        return internal("cannot form the ALB resource label from " + lbArn + " and " + tg->arn, "service.scaling");
      }
    }
    if (auto p = asg.putTargetTrackingPolicy(name, policyName(name), metric, spec.scaling->target, label); !p) {
      return p;
    }
  }

  // 5. The service's alarms watch the fleet being deployed.
  if (auto a = pointAlarms(client, *e, tg->arn, "", "fleet " + spec.fleetId + " created"); !a) return a;
  reads_.changed(spec.fleetId);
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
  // any resource left has one, tagged with its fleet id. Look where the
  // fleet was made first; elsewhere only when that is not known.
  std::vector<std::string> regions;
  if (auto r = environments_.fleetRegion(fleetId); r && !r->empty()) {
    regions.push_back(*r);
  } else {
    regions = environments_.awsRegions(std::nullopt);
    if (regions.empty()) regions.push_back(clients_.defaultRegion());
  }
  std::optional<Error> firstError;
  for (const auto& region : regions) {
    auto found = Ec2Api(clients_.forRegion(region)).launchTemplatesTagged("ramp:fleet", fleetId);
    if (!found) {
      // One region that cannot answer (an environment's bad region) does
      // not hide the fleet in another.
      if (!firstError) firstError = found.error();
      continue;
    }
    for (auto& t : *found) {
      if (t.tags["ramp:fleet"] != fleetId) continue;
      FleetRef ref{fleetId, t.tags["ramp:service"], t.tags["ramp:env"], region, t.name};
      std::lock_guard lock(mu_);
      index_[fleetId] = ref;
      return std::optional<FleetRef>(ref);
    }
  }
  if (firstError) return std::unexpected(*firstError);
  return std::optional<FleetRef>();
}

Result<FleetStatus> AwsFleetProvider::readStatus(const FleetRef& ref) {
  FleetStatus st;
  st.fleetId = ref.fleetId;
  AwsClient& client = clients_.forRegion(ref.region);
  AutoScalingApi asg(client);
  auto groups = asg.describeAutoScalingGroups({ref.name});
  if (!groups) return std::unexpected(groups.error());
  if (groups->empty() || !groups->front().status.empty()) return st;  // none, or being deleted
  const auto& g = groups->front();
  st.exists = true;
  st.desired = g.desired;
  std::set<std::string> healthyTargets;
  ElbV2Api elb(client);
  std::string tgArn = g.targetGroupArns.empty() ? std::string() : g.targetGroupArns.front();
  if (tgArn.empty()) {
    auto tgs = elb.describeTargetGroups({ref.name});
    if (!tgs && tgs.error().code != ErrorCode::kNotFound) return std::unexpected(tgs.error());
    if (tgs && !tgs->empty()) tgArn = tgs->front().arn;
  }
  if (!tgArn.empty()) {
    auto health = elb.describeTargetHealth(tgArn);
    if (!health && health.error().code != ErrorCode::kNotFound) return std::unexpected(health.error());
    if (health) {
      for (auto& h : *health) {
        if (h.state == "healthy") healthyTargets.insert(h.id);
      }
    } else {
      st.error = "target group " + ref.name + " is missing";
    }
  } else {
    st.error = "target group " + ref.name + " is missing";
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
  // Fewer instances than wanted: why the group could not launch (bad
  // image, no capacity, a limit) is in its scaling activities.
  if (static_cast<int>(g.instances.size()) < g.desired && st.error.empty()) {
    auto acts = asg.describeScalingActivities(ref.name, 5);
    if (acts) {
      for (const auto& a : *acts) {
        if (a.statusCode == "Failed" || a.statusCode == "Cancelled") {
          st.error = "launch failed: " + (a.statusMessage.empty() ? a.description : a.statusMessage);
          break;
        }
        if (a.statusCode == "Successful") break;  // the newest attempt went through
      }
    }
  }
  return st;
}

Result<FleetStatus> AwsFleetProvider::fleetStatus(const std::string& fleetId) {
  if (!reads_.due(fleetId)) {
    std::lock_guard lock(mu_);
    if (auto it = statusOf_.find(fleetId); it != statusOf_.end()) return it->second;
  }
  FleetStatus st;
  st.fleetId = fleetId;
  auto ref = locate(fleetId);
  if (!ref) return std::unexpected(ref.error());
  if (*ref) {
    auto read = readStatus(**ref);
    if (!read) return std::unexpected(read.error());
    st = std::move(*read);
  }
  bool steady = !st.exists || (st.error.empty() && st.healthy == st.desired && st.running == st.desired &&
                               static_cast<int>(st.instances.size()) == st.desired);
  {
    std::lock_guard lock(mu_);
    statusOf_[fleetId] = st;
  }
  reads_.read(fleetId, steady);
  return st;
}

Result<std::string> AwsFleetProvider::detachTargetGroup(AwsClient& client, const std::string& tgArn,
                                                        std::vector<std::string> loadBalancerArns,
                                                        int servicePriority) {
  ElbV2Api elb(client);
  std::sort(loadBalancerArns.begin(), loadBalancerArns.end());
  loadBalancerArns.erase(std::unique(loadBalancerArns.begin(), loadBalancerArns.end()), loadBalancerArns.end());
  std::string heaviest;
  int heaviestWeight = 0;
  auto weigh = [&](const std::vector<WeightedTargetGroup>& forward) {
    for (const auto& f : forward) {
      if (f.targetGroupArn != tgArn && f.weight > heaviestWeight) heaviestWeight = f.weight, heaviest = f.targetGroupArn;
    }
  };
  for (const auto& lbArn : loadBalancerArns) {
    auto listeners = elb.describeListeners(lbArn);
    if (!listeners && listeners.error().code == ErrorCode::kNotFound) continue;  // gone: nothing sends to it
    if (!listeners) return std::unexpected(listeners.error());
    for (const auto& l : *listeners) {
      auto rules = elb.describeRules(l.arn);
      if (!rules && rules.error().code == ErrorCode::kNotFound) continue;
      if (!rules) return std::unexpected(rules.error());
      std::vector<const ListenerRule*> sending;
      std::vector<std::string> arns;
      for (const auto& rule : *rules) {
        if (rule.isDefault) continue;
        if (servicePriority > 0 && rule.priority == std::to_string(servicePriority)) weigh(rule.forward);
        for (const auto& f : rule.forward) {
          if (f.targetGroupArn == tgArn) {
            sending.push_back(&rule);
            arns.push_back(rule.arn);
            break;
          }
        }
      }
      auto tags = elb.describeTags(arns);
      if (!tags) return std::unexpected(tags.error());
      for (const auto* rule : sending) {
        bool infrastructure = (*tags)[rule->arn]["ramp:managed-by"] == "infra";
        if (!infrastructure) {
          // The deployment's own rules (pinning): gone with the fleet.
          if (auto d = elb.deleteRule(rule->arn); !d) return std::unexpected(d.error());
          continue;
        }
        // The infrastructure's rule stays; only its forward action changes.
        std::vector<WeightedTargetGroup> keep;
        for (const auto& f : rule->forward) {
          if (f.targetGroupArn != tgArn) keep.push_back(f);
        }
        bool anyWeight = std::any_of(keep.begin(), keep.end(), [](auto& f) { return f.weight > 0; });
        auto action = anyWeight ? ElbAction::forwardTo(keep) : ElbAction::fixedResponse("503");
        if (auto m = elb.modifyRuleAction(rule->arn, action); !m) return std::unexpected(m.error());
        weigh(keep);
      }
      // A default action that forwards to it (made by an older ramp).
      bool found = std::any_of(l.forward.begin(), l.forward.end(), [&](auto& f) { return f.targetGroupArn == tgArn; });
      if (found) {
        std::vector<WeightedTargetGroup> keep;
        for (const auto& f : l.forward) {
          if (f.targetGroupArn != tgArn) keep.push_back(f);
        }
        bool anyWeight = std::any_of(keep.begin(), keep.end(), [](auto& f) { return f.weight > 0; });
        if (!anyWeight) keep.clear();
        if (auto m = elb.modifyListener(l.arn, keep); !m) return std::unexpected(m.error());
      }
    }
  }
  return heaviest;
}

Status AwsFleetProvider::retireFleet(const std::string& fleetId, std::chrono::milliseconds) {
  auto ref = locate(fleetId);
  if (!ref) return std::unexpected(ref.error());
  if (!*ref) return ok();
  const auto& r = **ref;
  reads_.changed(fleetId);
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
  // 2. The target group, once no rule sends it traffic and no alarm watches it.
  ElbV2Api elb(client);
  auto tgs = elb.describeTargetGroups({r.name});
  if (!tgs && tgs.error().code != ErrorCode::kNotFound) return std::unexpected(tgs.error());
  if (tgs && !tgs->empty()) {
    const auto& tg = tgs->front();
    std::vector<std::string> lbArns = tg.loadBalancerArns;
    // Some emulators (moto) do not list a target group's load balancers:
    // look at the environment's own too.
    auto e = environments_.awsEnvironment(r.service, r.env, r.region);
    if (e) {
      auto lbs = elb.describeLoadBalancers({e->loadBalancer});
      if (lbs && !lbs->empty()) lbArns.push_back(lbs->front().arn);
    }
    auto heaviest = detachTargetGroup(client, tg.arn, lbArns, e ? e->rule.priority : 0);
    if (!heaviest) return std::unexpected(heaviest.error());
    if (e) {
      if (auto a = pointAlarms(client, *e, *heaviest, tg.arn, "fleet " + fleetId + " retired"); !a) return a;
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
  statusOf_.erase(fleetId);
  return ok();
}

Result<std::vector<std::string>> AwsFleetProvider::listFleets(const std::optional<std::string>& service,
                                                              const std::optional<std::string>& env) {
  std::set<std::string> out;
  auto regions = environments_.awsRegions(env);
  if (regions.empty() && !env) regions.push_back(clients_.defaultRegion());
  for (const auto& region : regions) {
    AwsClient& client = clients_.forRegion(region);
    auto match = [&](std::map<std::string, std::string>& tags) {
      if (!tags.contains("ramp:fleet")) return false;
      if (service && tags["ramp:service"] != *service) return false;
      if (env && tags["ramp:env"] != *env) return false;
      return true;
    };
    auto groups = AutoScalingApi(client).describeAutoScalingGroups();
    if (!groups) {
      if (env) return std::unexpected(groups.error());
      continue;  // every environment: one that cannot be read does not hide the others
    }
    for (auto& g : *groups) {
      if (g.status.empty() && match(g.tags)) out.insert(g.tags["ramp:fleet"]);
    }
    // Half-created or half-retired fleets (a template but no group) too, so
    // that they can be retired.
    auto templates = Ec2Api(client).launchTemplatesTagged("ramp:service", service.value_or("*"));
    if (!templates) {
      if (env) return std::unexpected(templates.error());
      continue;
    }
    for (auto& t : *templates) {
      if (match(t.tags)) out.insert(t.tags["ramp:fleet"]);
    }
  }
  return std::vector<std::string>(out.begin(), out.end());
}

}  // namespace ramp::providers::aws
