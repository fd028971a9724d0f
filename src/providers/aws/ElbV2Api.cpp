#include "providers/aws/ElbV2Api.h"

#include "providers/aws/AwsError.h"

namespace ramp::providers::aws {
namespace {

constexpr const char* kSvc = "elasticloadbalancing";

int toInt(const std::string& s) {
  try {
    return s.empty() ? 0 : std::stoi(s);
  } catch (...) {
    return 0;
  }
}

TargetGroup readTargetGroup(const XmlNode& m) {
  TargetGroup t;
  t.arn = m.get("TargetGroupArn");
  t.name = m.get("TargetGroupName");
  t.protocol = m.get("Protocol");
  t.port = toInt(m.get("Port"));
  t.vpcId = m.get("VpcId");
  t.targetType = m.get("TargetType");
  t.healthCheckPath = m.get("HealthCheckPath");
  for (auto& a : m.child("LoadBalancerArns").children("member")) t.loadBalancerArns.push_back(a.text());
  return t;
}

LoadBalancer readLoadBalancer(const XmlNode& m) {
  return LoadBalancer{m.get("LoadBalancerArn"), m.get("LoadBalancerName"), m.get("DNSName"), m.get("VpcId"),
                      m.path("State/Code").text(), m.get("Scheme")};
}

Listener readListener(const XmlNode& m) {
  Listener l;
  l.arn = m.get("ListenerArn");
  l.loadBalancerArn = m.get("LoadBalancerArn");
  l.protocol = m.get("Protocol");
  l.port = toInt(m.get("Port"));
  for (auto& action : m.child("DefaultActions").children("member")) {
    if (action.get("Type") != "forward") continue;
    auto groups = action.path("ForwardConfig/TargetGroups").children("member");
    if (!groups.empty()) {
      for (auto& g : groups) l.forward.push_back({g.get("TargetGroupArn"), toInt(g.get("Weight"))});
    } else if (auto arn = action.get("TargetGroupArn"); !arn.empty()) {
      l.forward.push_back({arn, 1});
    }
  }
  return l;
}

void listParams(QueryParams& p, const std::string& prefix, const std::vector<std::string>& values) {
  for (size_t i = 0; i < values.size(); ++i) p.emplace_back(prefix + ".member." + std::to_string(i + 1), values[i]);
}

void targetParams(QueryParams& p, const std::vector<Target>& targets) {
  for (size_t i = 0; i < targets.size(); ++i) {
    std::string k = "Targets.member." + std::to_string(i + 1);
    p.emplace_back(k + ".Id", targets[i].id);
    if (targets[i].port > 0) p.emplace_back(k + ".Port", std::to_string(targets[i].port));
  }
}

Status validateForward(const std::vector<WeightedTargetGroup>& fwd) {
  if (fwd.empty() || fwd.size() > 5) return invalid("a forward action takes 1 to 5 target groups", "forward");
  for (size_t i = 0; i < fwd.size(); ++i) {
    if (fwd[i].weight < 0 || fwd[i].weight > 999) {
      return invalid("weight must be 0..999, got " + std::to_string(fwd[i].weight), "forward[" + std::to_string(i) + "].weight");
    }
    if (fwd[i].targetGroupArn.empty()) return invalid("empty target group ARN", "forward[" + std::to_string(i) + "]");
  }
  return ok();
}

}  // namespace

void ElbV2Api::forwardParams(QueryParams& p, const std::string& prefix, const std::vector<WeightedTargetGroup>& fwd) {
  p.emplace_back(prefix + ".Type", "forward");
  for (size_t i = 0; i < fwd.size(); ++i) {
    std::string k = prefix + ".ForwardConfig.TargetGroups.member." + std::to_string(i + 1);
    p.emplace_back(k + ".TargetGroupArn", fwd[i].targetGroupArn);
    p.emplace_back(k + ".Weight", std::to_string(fwd[i].weight));
  }
}

void ElbV2Api::defaultActionParams(QueryParams& p, const std::vector<WeightedTargetGroup>& forward) {
  if (!forward.empty()) {
    forwardParams(p, "DefaultActions.member.1", forward);
    return;
  }
  p.emplace_back("DefaultActions.member.1.Type", "fixed-response");
  p.emplace_back("DefaultActions.member.1.FixedResponseConfig.StatusCode", "503");
  p.emplace_back("DefaultActions.member.1.FixedResponseConfig.ContentType", "text/plain");
  p.emplace_back("DefaultActions.member.1.FixedResponseConfig.MessageBody", "no fleet receives traffic");
}

Result<LoadBalancer> ElbV2Api::createLoadBalancer(const LoadBalancerSpec& spec) {
  if (spec.name.empty()) return invalid("load balancer name is empty", "name");
  QueryParams p{{"Name", spec.name}, {"Scheme", spec.scheme}, {"Type", spec.type}};
  listParams(p, "Subnets", spec.subnets);
  listParams(p, "SecurityGroups", spec.securityGroups);
  auto doc = client_.query(kSvc, "CreateLoadBalancer", p);
  if (!doc) return std::unexpected(doc.error());
  auto m = doc->root().find("LoadBalancers").child("member");
  if (!m.valid()) return internal("CreateLoadBalancer answer has no load balancer", "aws:elasticloadbalancing:CreateLoadBalancer");
  return readLoadBalancer(m);
}

Result<std::vector<LoadBalancer>> ElbV2Api::describeLoadBalancers(const std::vector<std::string>& names) {
  std::vector<LoadBalancer> out;
  std::string marker;
  for (int page = 0; page < 100; ++page) {
    QueryParams p;
    listParams(p, "Names", names);
    if (!marker.empty()) p.emplace_back("Marker", marker);
    auto doc = client_.query(kSvc, "DescribeLoadBalancers", p);
    if (!doc) return std::unexpected(doc.error());
    for (auto& m : doc->root().find("LoadBalancers").children("member")) out.push_back(readLoadBalancer(m));
    marker = doc->root().find("NextMarker").text();
    if (marker.empty()) break;
  }
  return out;
}

Result<TargetGroup> ElbV2Api::createTargetGroup(const TargetGroupSpec& spec) {
  if (spec.name.empty() || spec.name.size() > 32) return invalid("target group name must be 1..32 characters", "name");
  QueryParams p{{"Name", spec.name}, {"Protocol", spec.protocol}, {"Port", std::to_string(spec.port)},
                {"TargetType", spec.targetType}, {"HealthCheckPath", spec.healthCheckPath}};
  if (!spec.vpcId.empty()) p.emplace_back("VpcId", spec.vpcId);
  auto doc = client_.query(kSvc, "CreateTargetGroup", p);
  if (!doc && AwsError::codeOf(doc.error()) == "DuplicateTargetGroupName") {
    // AWS answers a repeat with the same settings with the existing group;
    // some emulators (moto) refuse it. Either way converge on the existing
    // group if it is the same one, and refuse a different one.
    auto existing = describeTargetGroups({spec.name});
    if (!existing) return std::unexpected(existing.error());
    for (auto& t : *existing) {
      if (t.name == spec.name && t.port == spec.port && t.protocol == spec.protocol &&
          (spec.vpcId.empty() || t.vpcId == spec.vpcId)) {
        return t;
      }
    }
    return conflict("target group '" + spec.name + "' exists with other settings", "aws:elasticloadbalancing:CreateTargetGroup");
  }
  if (!doc) return std::unexpected(doc.error());
  auto m = doc->root().find("TargetGroups").child("member");
  if (!m.valid()) return internal("CreateTargetGroup answer has no target group", "aws:elasticloadbalancing:CreateTargetGroup");
  return readTargetGroup(m);
}

Result<std::vector<TargetGroup>> ElbV2Api::describeTargetGroups(const std::vector<std::string>& names,
                                                                const std::vector<std::string>& arns) {
  std::vector<TargetGroup> out;
  std::string marker;
  for (int page = 0; page < 100; ++page) {
    QueryParams p;
    listParams(p, "Names", names);
    listParams(p, "TargetGroupArns", arns);
    if (!marker.empty()) p.emplace_back("Marker", marker);
    auto doc = client_.query(kSvc, "DescribeTargetGroups", p);
    if (!doc) return std::unexpected(doc.error());
    for (auto& m : doc->root().find("TargetGroups").children("member")) out.push_back(readTargetGroup(m));
    marker = doc->root().find("NextMarker").text();
    if (marker.empty()) break;
  }
  return out;
}

Status ElbV2Api::deleteTargetGroup(const std::string& arn) {
  auto doc = client_.query(kSvc, "DeleteTargetGroup", {{"TargetGroupArn", arn}});
  if (!doc) return std::unexpected(doc.error());
  return ok();
}

Result<Listener> ElbV2Api::createListener(const std::string& loadBalancerArn, const std::string& protocol, int port,
                                          const std::vector<WeightedTargetGroup>& forward) {
  if (!forward.empty()) {
    if (auto v = validateForward(forward); !v) return std::unexpected(v.error());
  }
  QueryParams p{{"LoadBalancerArn", loadBalancerArn}, {"Protocol", protocol}, {"Port", std::to_string(port)}};
  defaultActionParams(p, forward);
  auto doc = client_.query(kSvc, "CreateListener", p);
  if (!doc) return std::unexpected(doc.error());
  return readListener(doc->root().find("Listeners").child("member"));
}

Result<Listener> ElbV2Api::modifyListener(const std::string& listenerArn, const std::vector<WeightedTargetGroup>& forward) {
  if (!forward.empty()) {
    if (auto v = validateForward(forward); !v) return std::unexpected(v.error());
  }
  QueryParams p{{"ListenerArn", listenerArn}};
  defaultActionParams(p, forward);
  auto doc = client_.query(kSvc, "ModifyListener", p);
  if (!doc) return std::unexpected(doc.error());
  return readListener(doc->root().find("Listeners").child("member"));
}

Result<std::vector<Listener>> ElbV2Api::describeListeners(const std::string& loadBalancerArn) {
  std::vector<Listener> out;
  std::string marker;
  for (int page = 0; page < 100; ++page) {
    QueryParams p{{"LoadBalancerArn", loadBalancerArn}};
    if (!marker.empty()) p.emplace_back("Marker", marker);
    auto doc = client_.query(kSvc, "DescribeListeners", p);
    if (!doc) return std::unexpected(doc.error());
    for (auto& m : doc->root().find("Listeners").children("member")) out.push_back(readListener(m));
    marker = doc->root().find("NextMarker").text();
    if (marker.empty()) break;
  }
  return out;
}

Status ElbV2Api::registerTargets(const std::string& targetGroupArn, const std::vector<Target>& targets) {
  QueryParams p{{"TargetGroupArn", targetGroupArn}};
  targetParams(p, targets);
  auto doc = client_.query(kSvc, "RegisterTargets", p);
  if (!doc) return std::unexpected(doc.error());
  return ok();
}

Status ElbV2Api::deregisterTargets(const std::string& targetGroupArn, const std::vector<Target>& targets) {
  QueryParams p{{"TargetGroupArn", targetGroupArn}};
  targetParams(p, targets);
  auto doc = client_.query(kSvc, "DeregisterTargets", p);
  if (!doc) return std::unexpected(doc.error());
  return ok();
}

Result<std::vector<TargetHealth>> ElbV2Api::describeTargetHealth(const std::string& targetGroupArn) {
  auto doc = client_.query(kSvc, "DescribeTargetHealth", {{"TargetGroupArn", targetGroupArn}});
  if (!doc) return std::unexpected(doc.error());
  std::vector<TargetHealth> out;
  for (auto& m : doc->root().find("TargetHealthDescriptions").children("member")) {
    out.push_back({m.path("Target/Id").text(), m.path("TargetHealth/State").text(),
                   m.path("TargetHealth/Reason").text(), toInt(m.path("Target/Port").text())});
  }
  return out;
}

namespace {

ListenerRule readRule(const XmlNode& m) {
  ListenerRule r;
  r.arn = m.get("RuleArn");
  r.priority = m.get("Priority");
  r.isDefault = m.get("IsDefault") == "true";
  for (auto& c : m.child("Conditions").children("member")) {
    if (c.get("Field") != "http-header") continue;
    r.headerName = c.path("HttpHeaderConfig/HttpHeaderName").text();
    for (auto& v : c.path("HttpHeaderConfig/Values").children("member")) r.headerValues.push_back(v.text());
  }
  for (auto& a : m.child("Actions").children("member")) {
    if (a.get("Type") != "forward") continue;
    auto groups = a.path("ForwardConfig/TargetGroups").children("member");
    if (!groups.empty()) {
      for (auto& g : groups) r.forward.push_back({g.get("TargetGroupArn"), toInt(g.get("Weight"))});
    } else if (auto arn = a.get("TargetGroupArn"); !arn.empty()) {
      r.forward.push_back({arn, 1});
    }
  }
  return r;
}

}  // namespace

Result<ListenerRule> ElbV2Api::createRule(const std::string& listenerArn, int priority, const std::string& headerName,
                                          const std::vector<std::string>& headerValues,
                                          const std::vector<WeightedTargetGroup>& forward) {
  if (auto v = validateForward(forward); !v) return std::unexpected(v.error());
  if (priority < 1 || priority > 50000) return invalid("rule priority must be 1..50000", "priority");
  if (headerName.empty() || headerValues.empty()) return invalid("a header name and at least one value are needed", "headerName");
  QueryParams p{{"ListenerArn", listenerArn}, {"Priority", std::to_string(priority)},
                {"Conditions.member.1.Field", "http-header"},
                {"Conditions.member.1.HttpHeaderConfig.HttpHeaderName", headerName}};
  listParams(p, "Conditions.member.1.HttpHeaderConfig.Values", headerValues);
  forwardParams(p, "Actions.member.1", forward);
  auto doc = client_.query(kSvc, "CreateRule", p);
  if (!doc) return std::unexpected(doc.error());
  auto m = doc->root().find("Rules").child("member");
  if (!m.valid()) return internal("CreateRule answer has no rule", "aws:elasticloadbalancing:CreateRule");
  return readRule(m);
}

Result<std::vector<ListenerRule>> ElbV2Api::describeRules(const std::string& listenerArn) {
  std::vector<ListenerRule> out;
  std::string marker;
  for (int page = 0; page < 100; ++page) {
    QueryParams p{{"ListenerArn", listenerArn}};
    if (!marker.empty()) p.emplace_back("Marker", marker);
    auto doc = client_.query(kSvc, "DescribeRules", p);
    if (!doc) return std::unexpected(doc.error());
    for (auto& m : doc->root().find("Rules").children("member")) out.push_back(readRule(m));
    marker = doc->root().find("NextMarker").text();
    if (marker.empty()) break;
  }
  return out;
}

Status ElbV2Api::deleteRule(const std::string& ruleArn) {
  auto doc = client_.query(kSvc, "DeleteRule", {{"RuleArn", ruleArn}});
  if (!doc && doc.error().code != ErrorCode::kNotFound) return std::unexpected(doc.error());
  return ok();
}

Status ElbV2Api::addTags(const std::vector<std::string>& arns, const std::map<std::string, std::string>& tags) {
  QueryParams p;
  listParams(p, "ResourceArns", arns);
  int i = 0;
  for (const auto& [k, v] : tags) {
    std::string key = "Tags.member." + std::to_string(++i);
    p.emplace_back(key + ".Key", k);
    p.emplace_back(key + ".Value", v);
  }
  auto doc = client_.query(kSvc, "AddTags", p);
  if (!doc) return std::unexpected(doc.error());
  return ok();
}

Result<std::map<std::string, std::map<std::string, std::string>>> ElbV2Api::describeTags(
    const std::vector<std::string>& arns) {
  std::map<std::string, std::map<std::string, std::string>> out;
  for (size_t start = 0; start < arns.size(); start += 20) {
    QueryParams p;
    listParams(p, "ResourceArns",
               std::vector<std::string>(arns.begin() + start, arns.begin() + std::min(arns.size(), start + 20)));
    auto doc = client_.query(kSvc, "DescribeTags", p);
    if (!doc) return std::unexpected(doc.error());
    for (auto& d : doc->root().find("TagDescriptions").children("member")) {
      auto& tags = out[d.get("ResourceArn")];
      for (auto& t : d.child("Tags").children("member")) tags[t.get("Key")] = t.get("Value");
    }
  }
  return out;
}

}  // namespace ramp::providers::aws
