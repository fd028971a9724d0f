#include "providers/aws/ElbV2Api.h"

#include <algorithm>

#include "providers/aws/AwsError.h"
#include "providers/aws/QueryProtocol.h"

namespace ramp::providers::aws {
namespace {

constexpr const char* kSvc = "elasticloadbalancing";
constexpr int kMaxPages = 1000;

std::vector<std::string> sortedUnique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

// --- answers -------------------------------------------------------------

TargetGroup readTargetGroup(const XmlNode& m) {
  TargetGroup t;
  t.arn = m.get("TargetGroupArn");
  t.name = m.get("TargetGroupName");
  t.protocol = m.get("Protocol");
  t.port = queryInt(m.get("Port"));
  t.vpcId = m.get("VpcId");
  t.targetType = m.get("TargetType");
  t.healthCheckPath = m.get("HealthCheckPath");
  for (auto& a : m.child("LoadBalancerArns").children("member")) t.loadBalancerArns.push_back(a.text());
  return t;
}

LoadBalancer readLoadBalancer(const XmlNode& m) {
  LoadBalancer lb;
  lb.arn = m.get("LoadBalancerArn");
  lb.name = m.get("LoadBalancerName");
  lb.dnsName = m.get("DNSName");
  lb.vpcId = m.get("VpcId");
  lb.state = m.path("State/Code").text();
  lb.scheme = m.get("Scheme");
  lb.canonicalHostedZoneId = m.get("CanonicalHostedZoneId");
  lb.type = m.get("Type");
  lb.ipAddressType = m.get("IpAddressType");
  for (auto& z : m.child("AvailabilityZones").children("member")) {
    if (auto s = z.get("SubnetId"); !s.empty()) lb.subnets.push_back(s);
  }
  for (auto& g : m.child("SecurityGroups").children("member")) lb.securityGroups.push_back(g.text());
  std::sort(lb.subnets.begin(), lb.subnets.end());
  std::sort(lb.securityGroups.begin(), lb.securityGroups.end());
  return lb;
}

// The groups of every forward action in `actions` (a lone TargetGroupArn weighs 1).
std::vector<WeightedTargetGroup> readForward(const XmlNode& actions) {
  std::vector<WeightedTargetGroup> out;
  for (auto& a : actions.children("member")) {
    if (a.get("Type") != "forward") continue;
    auto groups = a.path("ForwardConfig/TargetGroups").children("member");
    if (!groups.empty()) {
      for (auto& g : groups) out.push_back({g.get("TargetGroupArn"), queryInt(g.get("Weight"))});
    } else if (auto arn = a.get("TargetGroupArn"); !arn.empty()) {
      out.push_back({arn, 1});
    }
  }
  return out;
}

// The first action of `actions`; type "" when there is none.
ElbAction readFirstAction(const XmlNode& actions) {
  ElbAction out;
  auto a = actions.child("member");
  out.type = a.get("Type");
  out.statusCode.clear();
  if (out.type == "fixed-response") {
    out.statusCode = a.path("FixedResponseConfig/StatusCode").text();
  } else if (out.type == "redirect") {
    out.statusCode = a.path("RedirectConfig/StatusCode").text();
    out.redirectProtocol = a.path("RedirectConfig/Protocol").text();
    out.redirectPort = a.path("RedirectConfig/Port").text();
  }
  return out;
}

Listener readListener(const XmlNode& m) {
  Listener l;
  l.arn = m.get("ListenerArn");
  l.loadBalancerArn = m.get("LoadBalancerArn");
  l.protocol = m.get("Protocol");
  l.port = queryInt(m.get("Port"));
  l.forward = readForward(m.child("DefaultActions"));
  l.certificate = m.child("Certificates").child("member").get("CertificateArn");
  l.sslPolicy = m.get("SslPolicy");
  l.defaultAction = readFirstAction(m.child("DefaultActions"));
  l.defaultAction.forward = l.forward;
  return l;
}

// Values of a condition: <Config>/Values, or the legacy Values list.
std::vector<std::string> conditionValues(const XmlNode& cond, const std::string& config) {
  auto typed = cond.path(config + "/Values").children("member");
  if (typed.empty()) typed = cond.child("Values").children("member");
  std::vector<std::string> out;
  for (auto& v : typed) out.push_back(v.text());
  return out;
}

ListenerRule readRule(const XmlNode& m) {
  ListenerRule r;
  r.arn = m.get("RuleArn");
  r.priority = m.get("Priority");
  r.isDefault = m.get("IsDefault") == "true";
  for (auto& c : m.child("Conditions").children("member")) {
    auto field = c.get("Field");
    if (field == "http-header") {
      r.headerName = c.path("HttpHeaderConfig/HttpHeaderName").text();
      for (auto& v : c.path("HttpHeaderConfig/Values").children("member")) r.headerValues.push_back(v.text());
    } else if (field == "host-header") {
      auto v = conditionValues(c, "HostHeaderConfig");
      r.hosts.insert(r.hosts.end(), v.begin(), v.end());
    } else if (field == "path-pattern") {
      auto v = conditionValues(c, "PathPatternConfig");
      r.paths.insert(r.paths.end(), v.begin(), v.end());
    }
  }
  r.hosts = sortedUnique(std::move(r.hosts));
  r.paths = sortedUnique(std::move(r.paths));
  r.forward = readForward(m.child("Actions"));
  return r;
}

// The first member of `list` in a Create* answer, or kInternal naming the call.
template <class T, class Read>
Result<T> created(const XmlDoc& doc, const char* list, const char* action, const char* what, Read read) {
  auto m = doc.root().find(list).child("member");
  if (!m.valid()) {
    return internal(std::string(action) + " answer has no " + what, std::string("aws:elasticloadbalancing:") + action);
  }
  return read(m);
}

// Every member of `list` over all NextMarker pages of `action`.
template <class T, class Read>
Result<std::vector<T>> describePages(AwsClient& client, const char* action, const QueryParams& base, const char* list,
                                     Read read) {
  std::vector<T> out;
  auto paged = queryPages(client, kSvc, action, base, kNextMarker, kMaxPages, [&](const XmlNode& answer) {
    for (auto& m : answer.find(list).children("member")) out.push_back(read(m));
  });
  if (!paged) return std::unexpected(paged.error());
  return out;
}

// --- requests ------------------------------------------------------------

void targetParams(QueryParams& p, const std::vector<Target>& targets) {
  for (size_t i = 0; i < targets.size(); ++i) {
    std::string k = "Targets.member." + std::to_string(i + 1);
    p.emplace_back(k + ".Id", targets[i].id);
    if (targets[i].port > 0) p.emplace_back(k + ".Port", std::to_string(targets[i].port));
  }
}

void listenerSettingsParams(QueryParams& p, const ListenerSpec& spec) {
  p.emplace_back("Protocol", spec.protocol);
  p.emplace_back("Port", std::to_string(spec.port));
  if (!spec.certificate.empty()) p.emplace_back("Certificates.member.1.CertificateArn", spec.certificate);
  if (!spec.sslPolicy.empty() && spec.protocol == "HTTPS") p.emplace_back("SslPolicy", spec.sslPolicy);
}

Status conditionParams(QueryParams& p, const RuleConditions& when) {
  if (when.headerName.empty() != when.headerValues.empty()) {
    return invalid("a header condition needs a header name and at least one value", "headerName");
  }
  if (when.hosts.empty() && when.paths.empty() && when.headerName.empty()) {
    return invalid("a rule needs at least one condition (host, path or header)", "hosts");
  }
  int n = 0;
  auto next = [&] { return "Conditions.member." + std::to_string(++n); };
  if (!when.hosts.empty()) {
    std::string k = next();
    p.emplace_back(k + ".Field", "host-header");
    memberParams(p, k + ".HostHeaderConfig.Values", when.hosts);
  }
  if (!when.paths.empty()) {
    std::string k = next();
    p.emplace_back(k + ".Field", "path-pattern");
    memberParams(p, k + ".PathPatternConfig.Values", when.paths);
  }
  if (!when.headerName.empty()) {
    std::string k = next();
    p.emplace_back(k + ".Field", "http-header");
    p.emplace_back(k + ".HttpHeaderConfig.HttpHeaderName", when.headerName);
    memberParams(p, k + ".HttpHeaderConfig.Values", when.headerValues);
  }
  return ok();
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

ElbAction ElbAction::forwardTo(std::vector<WeightedTargetGroup> groups) {
  ElbAction a;
  a.type = "forward";
  a.statusCode.clear();
  a.forward = std::move(groups);
  return a;
}

ElbAction ElbAction::fixedResponse(std::string code) {
  ElbAction a;
  a.statusCode = std::move(code);
  return a;
}

ElbAction ElbAction::redirect(std::string protocol, std::string port) {
  ElbAction a;
  a.type = "redirect";
  a.statusCode = "HTTP_301";
  a.redirectProtocol = std::move(protocol);
  a.redirectPort = std::move(port);
  return a;
}

void ElbV2Api::forwardParams(QueryParams& p, const std::string& prefix, const std::vector<WeightedTargetGroup>& fwd) {
  p.emplace_back(prefix + ".Type", "forward");
  for (size_t i = 0; i < fwd.size(); ++i) {
    std::string k = prefix + ".ForwardConfig.TargetGroups.member." + std::to_string(i + 1);
    p.emplace_back(k + ".TargetGroupArn", fwd[i].targetGroupArn);
    p.emplace_back(k + ".Weight", std::to_string(fwd[i].weight));
  }
}

Status ElbV2Api::actionParams(QueryParams& p, const std::string& prefix, const ElbAction& action) {
  if (action.type == "forward") {
    if (auto v = validateForward(action.forward); !v) return v;
    forwardParams(p, prefix, action.forward);
  } else if (action.type == "fixed-response") {
    p.emplace_back(prefix + ".Type", "fixed-response");
    p.emplace_back(prefix + ".FixedResponseConfig.StatusCode", action.statusCode);
    p.emplace_back(prefix + ".FixedResponseConfig.ContentType", "text/plain");
    p.emplace_back(prefix + ".FixedResponseConfig.MessageBody", "no fleet receives traffic");
  } else if (action.type == "redirect") {
    p.emplace_back(prefix + ".Type", "redirect");
    p.emplace_back(prefix + ".RedirectConfig.Protocol", action.redirectProtocol);
    p.emplace_back(prefix + ".RedirectConfig.Port", action.redirectPort);
    p.emplace_back(prefix + ".RedirectConfig.StatusCode", action.statusCode);
  } else {
    return invalid("action type must be forward, fixed-response or redirect, got '" + action.type + "'", "type");
  }
  return ok();
}

void ElbV2Api::defaultActionParams(QueryParams& p, const std::vector<WeightedTargetGroup>& forward) {
  if (!forward.empty()) {
    forwardParams(p, "DefaultActions.member.1", forward);
    return;
  }
  (void)actionParams(p, "DefaultActions.member.1", ElbAction::fixedResponse("503"));  // cannot fail
}

Result<LoadBalancer> ElbV2Api::createLoadBalancer(const LoadBalancerSpec& spec, const ElbTags& tags) {
  if (spec.name.empty() || spec.name.size() > 32) return invalid("load balancer name must be 1..32 characters", "name");
  QueryParams p{{"Name", spec.name}, {"Scheme", spec.scheme.empty() ? "internet-facing" : spec.scheme},
                {"Type", spec.type}};
  memberParams(p, "Subnets", spec.subnets);
  memberParams(p, "SecurityGroups", spec.securityGroups);
  tagParams(p, tags);
  auto doc = client_.query(kSvc, "CreateLoadBalancer", p, AwsClient::Retry::kIfNotCarriedOut);
  if (!doc) return std::unexpected(doc.error());
  return created<LoadBalancer>(*doc, "LoadBalancers", "CreateLoadBalancer", "load balancer", readLoadBalancer);
}

Result<std::vector<LoadBalancer>> ElbV2Api::describeLoadBalancers(const std::vector<std::string>& names,
                                                                  const std::vector<std::string>& arns) {
  QueryParams p;
  memberParams(p, "Names", names);
  memberParams(p, "LoadBalancerArns", arns);
  return describePages<LoadBalancer>(client_, "DescribeLoadBalancers", p, "LoadBalancers", readLoadBalancer);
}

Status ElbV2Api::setSubnets(const std::string& loadBalancerArn, const std::vector<std::string>& subnets) {
  QueryParams p{{"LoadBalancerArn", loadBalancerArn}};
  memberParams(p, "Subnets", subnets);
  return queryDone(client_.query(kSvc, "SetSubnets", p));
}

Status ElbV2Api::setSecurityGroups(const std::string& loadBalancerArn, const std::vector<std::string>& groups) {
  QueryParams p{{"LoadBalancerArn", loadBalancerArn}};
  memberParams(p, "SecurityGroups", groups);
  return queryDone(client_.query(kSvc, "SetSecurityGroups", p));
}

Status ElbV2Api::deleteLoadBalancer(const std::string& arn) {
  return queryDoneOrGone(client_.query(kSvc, "DeleteLoadBalancer", {{"LoadBalancerArn", arn}}));
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
  return created<TargetGroup>(*doc, "TargetGroups", "CreateTargetGroup", "target group", readTargetGroup);
}

Result<std::vector<TargetGroup>> ElbV2Api::describeTargetGroups(const std::vector<std::string>& names,
                                                                const std::vector<std::string>& arns) {
  QueryParams p;
  memberParams(p, "Names", names);
  memberParams(p, "TargetGroupArns", arns);
  return describePages<TargetGroup>(client_, "DescribeTargetGroups", p, "TargetGroups", readTargetGroup);
}

Status ElbV2Api::deleteTargetGroup(const std::string& arn) {
  return queryDone(client_.query(kSvc, "DeleteTargetGroup", {{"TargetGroupArn", arn}}));
}

Result<Listener> ElbV2Api::createListener(const std::string& loadBalancerArn, const ListenerSpec& spec) {
  if (spec.protocol == "HTTPS" && spec.certificate.empty()) {
    return invalid("an HTTPS listener needs a certificate ARN", "certificate");
  }
  QueryParams p{{"LoadBalancerArn", loadBalancerArn}};
  listenerSettingsParams(p, spec);
  if (auto s = actionParams(p, "DefaultActions.member.1", spec.defaultAction); !s) return std::unexpected(s.error());
  tagParams(p, spec.tags);
  auto doc = client_.query(kSvc, "CreateListener", p, AwsClient::Retry::kIfNotCarriedOut);
  if (!doc) return std::unexpected(doc.error());
  return created<Listener>(*doc, "Listeners", "CreateListener", "listener", readListener);
}

Result<Listener> ElbV2Api::createListener(const std::string& loadBalancerArn, const std::string& protocol, int port,
                                          const std::vector<WeightedTargetGroup>& forward) {
  ListenerSpec spec;
  spec.protocol = protocol;
  spec.port = port;
  if (!forward.empty()) spec.defaultAction = ElbAction::forwardTo(forward);
  return createListener(loadBalancerArn, spec);
}

Result<Listener> ElbV2Api::modifyListener(const std::string& listenerArn, const ListenerSpec& spec,
                                          bool setDefaultAction) {
  QueryParams p{{"ListenerArn", listenerArn}};
  listenerSettingsParams(p, spec);
  if (setDefaultAction) {
    if (auto s = actionParams(p, "DefaultActions.member.1", spec.defaultAction); !s) return std::unexpected(s.error());
  }
  auto doc = client_.query(kSvc, "ModifyListener", p);
  if (!doc) return std::unexpected(doc.error());
  return created<Listener>(*doc, "Listeners", "ModifyListener", "listener", readListener);
}

Result<Listener> ElbV2Api::modifyListener(const std::string& listenerArn, const std::vector<WeightedTargetGroup>& forward) {
  auto action = forward.empty() ? ElbAction::fixedResponse("503") : ElbAction::forwardTo(forward);
  QueryParams p{{"ListenerArn", listenerArn}};
  if (auto s = actionParams(p, "DefaultActions.member.1", action); !s) return std::unexpected(s.error());
  auto doc = client_.query(kSvc, "ModifyListener", p);
  if (!doc) return std::unexpected(doc.error());
  return created<Listener>(*doc, "Listeners", "ModifyListener", "listener", readListener);
}

Result<std::vector<Listener>> ElbV2Api::describeListeners(const std::string& loadBalancerArn) {
  return describePages<Listener>(client_, "DescribeListeners", {{"LoadBalancerArn", loadBalancerArn}}, "Listeners",
                                 readListener);
}

Status ElbV2Api::deleteListener(const std::string& arn) {
  return queryDoneOrGone(client_.query(kSvc, "DeleteListener", {{"ListenerArn", arn}}));
}

Status ElbV2Api::registerTargets(const std::string& targetGroupArn, const std::vector<Target>& targets) {
  QueryParams p{{"TargetGroupArn", targetGroupArn}};
  targetParams(p, targets);
  return queryDone(client_.query(kSvc, "RegisterTargets", p));
}

Status ElbV2Api::deregisterTargets(const std::string& targetGroupArn, const std::vector<Target>& targets) {
  QueryParams p{{"TargetGroupArn", targetGroupArn}};
  targetParams(p, targets);
  return queryDone(client_.query(kSvc, "DeregisterTargets", p));
}

Result<std::vector<TargetHealth>> ElbV2Api::describeTargetHealth(const std::string& targetGroupArn) {
  auto doc = client_.query(kSvc, "DescribeTargetHealth", {{"TargetGroupArn", targetGroupArn}});
  if (!doc) return std::unexpected(doc.error());
  std::vector<TargetHealth> out;
  for (auto& m : doc->root().find("TargetHealthDescriptions").children("member")) {
    out.push_back({m.path("Target/Id").text(), m.path("TargetHealth/State").text(),
                   m.path("TargetHealth/Reason").text(), queryInt(m.path("Target/Port").text())});
  }
  return out;
}

Result<ListenerRule> ElbV2Api::createRule(const std::string& listenerArn, int priority, const RuleConditions& when,
                                          const ElbAction& action, const ElbTags& tags) {
  if (priority < 1 || priority > 50000) return invalid("rule priority must be 1..50000", "priority");
  QueryParams p{{"ListenerArn", listenerArn}, {"Priority", std::to_string(priority)}};
  if (auto s = conditionParams(p, when); !s) return std::unexpected(s.error());
  if (auto s = actionParams(p, "Actions.member.1", action); !s) return std::unexpected(s.error());
  tagParams(p, tags);
  auto doc = client_.query(kSvc, "CreateRule", p, AwsClient::Retry::kIfNotCarriedOut);
  if (!doc) return std::unexpected(doc.error());
  return created<ListenerRule>(*doc, "Rules", "CreateRule", "rule", readRule);
}

Result<ListenerRule> ElbV2Api::createRule(const std::string& listenerArn, int priority, const std::string& headerName,
                                          const std::vector<std::string>& headerValues,
                                          const std::vector<WeightedTargetGroup>& forward) {
  if (headerName.empty() || headerValues.empty()) return invalid("a header name and at least one value are needed", "headerName");
  RuleConditions when;
  when.headerName = headerName;
  when.headerValues = headerValues;
  return createRule(listenerArn, priority, when, ElbAction::forwardTo(forward));
}

Status ElbV2Api::modifyRuleConditions(const std::string& ruleArn, const RuleConditions& when) {
  QueryParams p{{"RuleArn", ruleArn}};
  if (auto s = conditionParams(p, when); !s) return s;
  return queryDone(client_.query(kSvc, "ModifyRule", p));
}

Status ElbV2Api::modifyRuleAction(const std::string& ruleArn, const ElbAction& action) {
  QueryParams p{{"RuleArn", ruleArn}};
  if (auto s = actionParams(p, "Actions.member.1", action); !s) return s;
  return queryDone(client_.query(kSvc, "ModifyRule", p));
}

Status ElbV2Api::setRulePriority(const std::string& ruleArn, int priority) {
  if (priority < 1 || priority > 50000) return invalid("rule priority must be 1..50000", "priority");
  QueryParams p{{"RulePriorities.member.1.RuleArn", ruleArn},
                {"RulePriorities.member.1.Priority", std::to_string(priority)}};
  return queryDone(client_.query(kSvc, "SetRulePriorities", p));
}

Result<std::vector<ListenerRule>> ElbV2Api::describeRules(const std::string& listenerArn) {
  return describePages<ListenerRule>(client_, "DescribeRules", {{"ListenerArn", listenerArn}}, "Rules", readRule);
}

Status ElbV2Api::deleteRule(const std::string& ruleArn) {
  return queryDoneOrGone(client_.query(kSvc, "DeleteRule", {{"RuleArn", ruleArn}}));
}

Status ElbV2Api::addTags(const std::vector<std::string>& arns, const std::map<std::string, std::string>& tags) {
  if (arns.empty() || tags.empty()) return ok();
  QueryParams p;
  memberParams(p, "ResourceArns", arns);
  tagParams(p, tags);
  return queryDone(client_.query(kSvc, "AddTags", p));
}

Result<std::map<std::string, std::map<std::string, std::string>>> ElbV2Api::describeTags(
    const std::vector<std::string>& arns) {
  std::map<std::string, std::map<std::string, std::string>> out;
  for (size_t start = 0; start < arns.size(); start += kPerDescribe) {
    QueryParams p;
    memberParams(p, "ResourceArns",
               std::vector<std::string>(arns.begin() + start, arns.begin() + std::min(arns.size(), start + kPerDescribe)));
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
