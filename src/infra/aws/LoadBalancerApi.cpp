#include "infra/aws/LoadBalancerApi.h"

#include <algorithm>

#include "providers/aws/AwsError.h"

namespace ramp::infra::aws {
namespace {

using providers::aws::AwsError;
using providers::aws::QueryParams;
using providers::aws::XmlNode;

constexpr const char* kSvc = "elasticloadbalancing";

int toInt(const std::string& s) {
  try {
    return s.empty() ? 0 : std::stoi(s);
  } catch (...) {
    return 0;
  }
}

void listParams(QueryParams& p, const std::string& prefix, const std::vector<std::string>& values) {
  for (size_t i = 0; i < values.size(); ++i) p.emplace_back(prefix + ".member." + std::to_string(i + 1), values[i]);
}

void tagParams(QueryParams& p, const Tags& tags) {
  int i = 0;
  for (const auto& [k, v] : tags) {
    std::string key = "Tags.member." + std::to_string(++i);
    p.emplace_back(key + ".Key", k);
    p.emplace_back(key + ".Value", v);
  }
}

AlbLoadBalancer readLoadBalancer(const XmlNode& m) {
  AlbLoadBalancer lb;
  lb.arn = m.get("LoadBalancerArn");
  lb.name = m.get("LoadBalancerName");
  lb.dnsName = m.get("DNSName");
  lb.canonicalHostedZoneId = m.get("CanonicalHostedZoneId");
  lb.scheme = m.get("Scheme");
  lb.type = m.get("Type");
  lb.vpcId = m.get("VpcId");
  lb.ipAddressType = m.get("IpAddressType");
  for (auto& z : m.child("AvailabilityZones").children("member")) {
    if (auto s = z.get("SubnetId"); !s.empty()) lb.subnets.push_back(s);
  }
  for (auto& g : m.child("SecurityGroups").children("member")) lb.securityGroups.push_back(g.text());
  std::sort(lb.subnets.begin(), lb.subnets.end());
  std::sort(lb.securityGroups.begin(), lb.securityGroups.end());
  return lb;
}

AlbListener readListener(const XmlNode& m) {
  AlbListener l;
  l.arn = m.get("ListenerArn");
  l.loadBalancerArn = m.get("LoadBalancerArn");
  l.protocol = m.get("Protocol");
  l.port = toInt(m.get("Port"));
  for (auto& c : m.child("Certificates").children("member")) {
    if (l.certificate.empty()) l.certificate = c.get("CertificateArn");
  }
  l.sslPolicy = m.get("SslPolicy");
  auto action = m.child("DefaultActions").child("member");
  auto type = action.get("Type");
  if (type == "fixed-response") {
    l.defaultAction = "fixed-response:" + action.path("FixedResponseConfig/StatusCode").text();
  } else if (type == "redirect") {
    l.defaultAction = "redirect:" + action.path("RedirectConfig/Protocol").text() + ":" +
                      action.path("RedirectConfig/Port").text();
  } else {
    l.defaultAction = type;
  }
  return l;
}

std::vector<std::string> conditionValues(const XmlNode& cond, const char* config) {
  std::vector<std::string> out;
  auto typed = cond.path(std::string(config) + "/Values").children("member");
  if (typed.empty()) typed = cond.child("Values").children("member");
  for (auto& v : typed) out.push_back(v.text());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

AlbRule readRule(const XmlNode& m) {
  AlbRule r;
  r.arn = m.get("RuleArn");
  r.priority = m.get("IsDefault") == "true" || m.get("Priority") == "default" ? 0 : toInt(m.get("Priority"));
  for (auto& c : m.child("Conditions").children("member")) {
    auto field = c.get("Field");
    if (field == "host-header") {
      auto v = conditionValues(c, "HostHeaderConfig");
      r.hosts.insert(r.hosts.end(), v.begin(), v.end());
    } else if (field == "path-pattern") {
      auto v = conditionValues(c, "PathPatternConfig");
      r.paths.insert(r.paths.end(), v.begin(), v.end());
    }
  }
  return r;
}

void conditionParams(QueryParams& p, const std::vector<std::string>& hosts, const std::vector<std::string>& paths) {
  int n = 0;
  if (!hosts.empty()) {
    std::string k = "Conditions.member." + std::to_string(++n);
    p.emplace_back(k + ".Field", "host-header");
    listParams(p, k + ".HostHeaderConfig.Values", hosts);
  }
  if (!paths.empty()) {
    std::string k = "Conditions.member." + std::to_string(++n);
    p.emplace_back(k + ".Field", "path-pattern");
    listParams(p, k + ".PathPatternConfig.Values", paths);
  }
}

void fixedResponse(QueryParams& p, const std::string& prefix, const std::string& code) {
  p.emplace_back(prefix + ".Type", "fixed-response");
  p.emplace_back(prefix + ".FixedResponseConfig.StatusCode", code);
  p.emplace_back(prefix + ".FixedResponseConfig.ContentType", "text/plain");
  p.emplace_back(prefix + ".FixedResponseConfig.MessageBody", "no fleet receives traffic");
}
void fixed503(QueryParams& p, const std::string& prefix) { fixedResponse(p, prefix, "503"); }

// "fixed-response:<code>" | "redirect:<protocol>:<port>" | "" (fixed 503).
Status defaultActionParams(QueryParams& p, const std::string& prefix, const std::string& action) {
  if (action.empty()) {
    fixed503(p, prefix);
    return ok();
  }
  if (action.starts_with("fixed-response:")) {
    auto code = action.substr(15);
    if (code.size() != 3 || !std::all_of(code.begin(), code.end(), ::isdigit)) {
      return invalid("fixed-response needs a 3-digit status code, got '" + action + "'", "default_action");
    }
    fixedResponse(p, prefix, code);
    return ok();
  }
  if (action.starts_with("redirect:")) {
    auto rest = action.substr(9);
    auto colon = rest.find(':');
    if (colon == std::string::npos) return invalid("redirect needs <protocol>:<port>, got '" + action + "'", "default_action");
    p.emplace_back(prefix + ".Type", "redirect");
    p.emplace_back(prefix + ".RedirectConfig.Protocol", rest.substr(0, colon));
    p.emplace_back(prefix + ".RedirectConfig.Port", rest.substr(colon + 1));
    p.emplace_back(prefix + ".RedirectConfig.StatusCode", "HTTP_301");
    return ok();
  }
  return invalid("default action must be fixed-response:<code> or redirect:<protocol>:<port>, got '" + action + "'",
                 "default_action");
}

Status tolerateGone(const Result<providers::aws::XmlDoc>& doc) {
  if (!doc && doc.error().code != ErrorCode::kNotFound) return std::unexpected(doc.error());
  return ok();
}

}  // namespace

Result<AlbLoadBalancer> LoadBalancerApi::createLoadBalancer(const std::string& name, const std::string& scheme,
                                                            const std::vector<std::string>& subnets,
                                                            const std::vector<std::string>& securityGroups,
                                                            const Tags& tags) {
  if (name.empty() || name.size() > 32) return invalid("load balancer name must be 1..32 characters", "name");
  QueryParams p{{"Name", name}, {"Scheme", scheme.empty() ? "internet-facing" : scheme}, {"Type", "application"}};
  listParams(p, "Subnets", subnets);
  listParams(p, "SecurityGroups", securityGroups);
  tagParams(p, tags);
  auto doc = client_.query(kSvc, "CreateLoadBalancer", p);
  if (!doc) return std::unexpected(doc.error());
  auto m = doc->root().find("LoadBalancers").child("member");
  if (!m.valid()) return internal("CreateLoadBalancer answer has no load balancer", "aws:elasticloadbalancing:CreateLoadBalancer");
  return readLoadBalancer(m);
}

Result<std::vector<AlbLoadBalancer>> LoadBalancerApi::describePages(const QueryParams& base) {
  std::vector<AlbLoadBalancer> out;
  std::string marker;
  for (int page = 0; page < 1000; ++page) {
    QueryParams p = base;
    if (!marker.empty()) p.emplace_back("Marker", marker);
    auto doc = client_.query(kSvc, "DescribeLoadBalancers", p);
    if (!doc) return std::unexpected(doc.error());
    for (auto& m : doc->root().find("LoadBalancers").children("member")) out.push_back(readLoadBalancer(m));
    marker = doc->root().find("NextMarker").text();
    if (marker.empty()) break;
  }
  return out;
}

Result<std::vector<AlbLoadBalancer>> LoadBalancerApi::describeLoadBalancersByName(const std::vector<std::string>& names) {
  std::vector<AlbLoadBalancer> out;
  for (size_t start = 0; start < names.size(); start += kNamesPerDescribe) {
    std::vector<std::string> batch(names.begin() + start, names.begin() + std::min(names.size(), start + kNamesPerDescribe));
    QueryParams p;
    listParams(p, "Names", batch);
    auto got = describePages(p);
    if (!got && got.error().code == ErrorCode::kNotFound) {
      if (batch.size() == 1) continue;
      // One missing name fails the whole batch: list everything once instead.
      auto all = describePages({});
      if (!all) return std::unexpected(all.error());
      out.clear();
      for (auto& lb : *all) {
        if (std::find(names.begin(), names.end(), lb.name) != names.end()) out.push_back(lb);
      }
      return out;
    }
    if (!got) return std::unexpected(got.error());
    out.insert(out.end(), got->begin(), got->end());
  }
  return out;
}

Result<std::vector<AlbLoadBalancer>> LoadBalancerApi::describeLoadBalancersByArn(const std::vector<std::string>& arns) {
  std::vector<AlbLoadBalancer> out;
  for (size_t start = 0; start < arns.size(); start += kNamesPerDescribe) {
    QueryParams p;
    listParams(p, "LoadBalancerArns",
               std::vector<std::string>(arns.begin() + start, arns.begin() + std::min(arns.size(), start + kNamesPerDescribe)));
    auto got = describePages(p);
    if (!got && got.error().code == ErrorCode::kNotFound) continue;
    if (!got) return std::unexpected(got.error());
    out.insert(out.end(), got->begin(), got->end());
  }
  return out;
}

Status LoadBalancerApi::setSubnets(const std::string& arn, const std::vector<std::string>& subnets) {
  QueryParams p{{"LoadBalancerArn", arn}};
  listParams(p, "Subnets", subnets);
  auto doc = client_.query(kSvc, "SetSubnets", p);
  if (!doc) return std::unexpected(doc.error());
  return ok();
}

Status LoadBalancerApi::setSecurityGroups(const std::string& arn, const std::vector<std::string>& groups) {
  QueryParams p{{"LoadBalancerArn", arn}};
  listParams(p, "SecurityGroups", groups);
  auto doc = client_.query(kSvc, "SetSecurityGroups", p);
  if (!doc) return std::unexpected(doc.error());
  return ok();
}

Status LoadBalancerApi::deleteLoadBalancer(const std::string& arn) {
  return tolerateGone(client_.query(kSvc, "DeleteLoadBalancer", {{"LoadBalancerArn", arn}}));
}

Result<AlbListener> LoadBalancerApi::createListener(const std::string& loadBalancerArn, const AlbListenerSpec& spec,
                                                    const Tags& tags) {
  if (spec.protocol == "HTTPS" && spec.certificate.empty()) {
    return invalid("an HTTPS listener needs a certificate ARN", "certificate");
  }
  QueryParams p{{"LoadBalancerArn", loadBalancerArn}, {"Protocol", spec.protocol}, {"Port", std::to_string(spec.port)}};
  if (!spec.certificate.empty()) p.emplace_back("Certificates.member.1.CertificateArn", spec.certificate);
  if (!spec.sslPolicy.empty() && spec.protocol == "HTTPS") p.emplace_back("SslPolicy", spec.sslPolicy);
  if (auto s = defaultActionParams(p, "DefaultActions.member.1", spec.defaultAction); !s) return std::unexpected(s.error());
  tagParams(p, tags);
  auto doc = client_.query(kSvc, "CreateListener", p);
  if (!doc) return std::unexpected(doc.error());
  auto m = doc->root().find("Listeners").child("member");
  if (!m.valid()) return internal("CreateListener answer has no listener", "aws:elasticloadbalancing:CreateListener");
  return readListener(m);
}

Result<AlbListener> LoadBalancerApi::modifyListener(const std::string& listenerArn, const AlbListenerSpec& spec,
                                                    bool setDefaultAction) {
  QueryParams p{{"ListenerArn", listenerArn}, {"Protocol", spec.protocol}, {"Port", std::to_string(spec.port)}};
  if (!spec.certificate.empty()) p.emplace_back("Certificates.member.1.CertificateArn", spec.certificate);
  if (!spec.sslPolicy.empty() && spec.protocol == "HTTPS") p.emplace_back("SslPolicy", spec.sslPolicy);
  if (setDefaultAction) {
    if (auto s = defaultActionParams(p, "DefaultActions.member.1", spec.defaultAction); !s) return std::unexpected(s.error());
  }
  auto doc = client_.query(kSvc, "ModifyListener", p);
  if (!doc) return std::unexpected(doc.error());
  return readListener(doc->root().find("Listeners").child("member"));
}

Result<std::vector<AlbListener>> LoadBalancerApi::describeListeners(const std::string& loadBalancerArn) {
  std::vector<AlbListener> out;
  std::string marker;
  for (int page = 0; page < 100; ++page) {
    QueryParams p{{"LoadBalancerArn", loadBalancerArn}};
    if (!marker.empty()) p.emplace_back("Marker", marker);
    auto doc = client_.query(kSvc, "DescribeListeners", p);
    if (!doc && doc.error().code == ErrorCode::kNotFound) return out;
    if (!doc) return std::unexpected(doc.error());
    for (auto& m : doc->root().find("Listeners").children("member")) out.push_back(readListener(m));
    marker = doc->root().find("NextMarker").text();
    if (marker.empty()) break;
  }
  return out;
}

Status LoadBalancerApi::deleteListener(const std::string& arn) {
  return tolerateGone(client_.query(kSvc, "DeleteListener", {{"ListenerArn", arn}}));
}

Result<AlbRule> LoadBalancerApi::createRule(const std::string& listenerArn, int priority,
                                            const std::vector<std::string>& hosts,
                                            const std::vector<std::string>& paths, const Tags& tags) {
  if (priority < 1 || priority > 50000) return invalid("rule priority must be 1..50000", "priority");
  if (hosts.empty() && paths.empty()) return invalid("a rule needs at least one host or path", "hosts");
  QueryParams p{{"ListenerArn", listenerArn}, {"Priority", std::to_string(priority)}};
  conditionParams(p, hosts, paths);
  fixed503(p, "Actions.member.1");
  tagParams(p, tags);
  auto doc = client_.query(kSvc, "CreateRule", p);
  if (!doc) return std::unexpected(doc.error());
  auto m = doc->root().find("Rules").child("member");
  if (!m.valid()) return internal("CreateRule answer has no rule", "aws:elasticloadbalancing:CreateRule");
  return readRule(m);
}

Status LoadBalancerApi::modifyRuleConditions(const std::string& ruleArn, const std::vector<std::string>& hosts,
                                             const std::vector<std::string>& paths) {
  QueryParams p{{"RuleArn", ruleArn}};
  conditionParams(p, hosts, paths);
  auto doc = client_.query(kSvc, "ModifyRule", p);
  if (!doc) return std::unexpected(doc.error());
  return ok();
}

Status LoadBalancerApi::setRulePriority(const std::string& ruleArn, int priority) {
  QueryParams p{{"RulePriorities.member.1.RuleArn", ruleArn},
                {"RulePriorities.member.1.Priority", std::to_string(priority)}};
  auto doc = client_.query(kSvc, "SetRulePriorities", p);
  if (!doc) return std::unexpected(doc.error());
  return ok();
}

Result<std::vector<AlbRule>> LoadBalancerApi::describeRules(const std::string& listenerArn) {
  std::vector<AlbRule> out;
  std::string marker;
  for (int page = 0; page < 100; ++page) {
    QueryParams p{{"ListenerArn", listenerArn}};
    if (!marker.empty()) p.emplace_back("Marker", marker);
    auto doc = client_.query(kSvc, "DescribeRules", p);
    if (!doc && doc.error().code == ErrorCode::kNotFound) return out;
    if (!doc) return std::unexpected(doc.error());
    for (auto& m : doc->root().find("Rules").children("member")) out.push_back(readRule(m));
    marker = doc->root().find("NextMarker").text();
    if (marker.empty()) break;
  }
  return out;
}

Status LoadBalancerApi::deleteRule(const std::string& arn) {
  return tolerateGone(client_.query(kSvc, "DeleteRule", {{"RuleArn", arn}}));
}

Status LoadBalancerApi::addTags(const std::vector<std::string>& arns, const Tags& tags) {
  if (arns.empty() || tags.empty()) return ok();
  QueryParams p;
  listParams(p, "ResourceArns", arns);
  tagParams(p, tags);
  auto doc = client_.query(kSvc, "AddTags", p);
  if (!doc) return std::unexpected(doc.error());
  return ok();
}

Result<std::map<std::string, Tags>> LoadBalancerApi::describeTags(const std::vector<std::string>& arns) {
  std::map<std::string, Tags> out;
  for (size_t start = 0; start < arns.size(); start += kArnsPerDescribeTags) {
    QueryParams p;
    listParams(p, "ResourceArns",
               std::vector<std::string>(arns.begin() + start, arns.begin() + std::min(arns.size(), start + kArnsPerDescribeTags)));
    auto doc = client_.query(kSvc, "DescribeTags", p);
    if (!doc) return std::unexpected(doc.error());
    for (auto& d : doc->root().find("TagDescriptions").children("member")) {
      auto& tags = out[d.get("ResourceArn")];
      for (auto& t : d.child("Tags").children("member")) tags[t.get("Key")] = t.get("Value");
    }
  }
  return out;
}

}  // namespace ramp::infra::aws
