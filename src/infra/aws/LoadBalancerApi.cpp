#include "infra/aws/LoadBalancerApi.h"

#include <algorithm>
#include <charconv>

namespace ramp::infra::aws {
namespace {

using providers::aws::ElbAction;
using providers::aws::ListenerRule;
using providers::aws::ListenerSpec;
using providers::aws::RuleConditions;

AlbLoadBalancer albOf(const providers::aws::LoadBalancer& lb) {
  return AlbLoadBalancer{lb.arn,    lb.name,  lb.dnsName, lb.canonicalHostedZoneId, lb.scheme,
                         lb.type,   lb.vpcId, lb.ipAddressType, lb.subnets,        lb.securityGroups};
}

std::vector<AlbLoadBalancer> albOf(const std::vector<providers::aws::LoadBalancer>& lbs) {
  std::vector<AlbLoadBalancer> out;
  for (const auto& lb : lbs) out.push_back(albOf(lb));
  return out;
}

// "fixed-response:<code>" | "redirect:<protocol>:<port>" | the action's type ("forward").
std::string actionText(const ElbAction& a) {
  if (a.type == "fixed-response") return "fixed-response:" + a.statusCode;
  if (a.type == "redirect") return "redirect:" + a.redirectProtocol + ":" + a.redirectPort;
  return a.type;
}

AlbListener albOf(const providers::aws::Listener& l) {
  return AlbListener{l.arn, l.loadBalancerArn, l.protocol, l.certificate, l.sslPolicy, l.port, actionText(l.defaultAction)};
}

AlbRule albOf(const ListenerRule& r) {
  AlbRule out{r.arn, 0, r.hosts, r.paths};
  if (!r.isDefault && r.priority != "default") {
    std::from_chars(r.priority.data(), r.priority.data() + r.priority.size(), out.priority);
  }
  return out;
}

// "fixed-response:<code>" | "redirect:<protocol>:<port>" | "" (fixed 503).
Result<ElbAction> actionOf(const std::string& text) {
  if (text.empty()) return ElbAction::fixedResponse("503");
  if (text.starts_with("fixed-response:")) {
    auto code = text.substr(15);
    if (code.size() != 3 || !std::all_of(code.begin(), code.end(), ::isdigit)) {
      return invalid("fixed-response needs a 3-digit status code, got '" + text + "'", "default_action");
    }
    return ElbAction::fixedResponse(code);
  }
  if (text.starts_with("redirect:")) {
    auto rest = text.substr(9);
    auto colon = rest.find(':');
    if (colon == std::string::npos) return invalid("redirect needs <protocol>:<port>, got '" + text + "'", "default_action");
    return ElbAction::redirect(rest.substr(0, colon), rest.substr(colon + 1));
  }
  return invalid("default action must be fixed-response:<code> or redirect:<protocol>:<port>, got '" + text + "'",
                 "default_action");
}

Result<ListenerSpec> listenerSpecOf(const AlbListenerSpec& spec, bool withAction, const Tags& tags) {
  ListenerSpec out;
  out.protocol = spec.protocol;
  out.port = spec.port;
  out.certificate = spec.certificate;
  out.sslPolicy = spec.sslPolicy;
  out.tags = tags;
  if (withAction) {
    auto action = actionOf(spec.defaultAction);
    if (!action) return std::unexpected(action.error());
    out.defaultAction = std::move(*action);
  }
  return out;
}

RuleConditions conditionsOf(const std::vector<std::string>& hosts, const std::vector<std::string>& paths) {
  RuleConditions when;
  when.hosts = hosts;
  when.paths = paths;
  return when;
}

// The IaC view of listeners or rules; a load balancer or listener that is gone has none.
template <class Alb, class Elb>
Result<std::vector<Alb>> viewOrNone(const Result<std::vector<Elb>>& got) {
  if (!got && got.error().code == ErrorCode::kNotFound) return std::vector<Alb>{};
  if (!got) return std::unexpected(got.error());
  std::vector<Alb> out;
  for (const auto& x : *got) out.push_back(albOf(x));
  return out;
}

}  // namespace

Result<AlbLoadBalancer> LoadBalancerApi::createLoadBalancer(const std::string& name, const std::string& scheme,
                                                            const std::vector<std::string>& subnets,
                                                            const std::vector<std::string>& securityGroups,
                                                            const Tags& tags) {
  auto lb = elb_.createLoadBalancer({name, subnets, securityGroups, scheme, "application"}, tags);
  if (!lb) return std::unexpected(lb.error());
  return albOf(*lb);
}

Result<std::vector<AlbLoadBalancer>> LoadBalancerApi::describeLoadBalancersByName(const std::vector<std::string>& names) {
  std::vector<AlbLoadBalancer> out;
  for (size_t start = 0; start < names.size(); start += kNamesPerDescribe) {
    std::vector<std::string> batch(names.begin() + start, names.begin() + std::min(names.size(), start + kNamesPerDescribe));
    auto got = elb_.describeLoadBalancers(batch);
    if (!got && got.error().code == ErrorCode::kNotFound) {
      if (batch.size() == 1) continue;
      // One missing name fails the whole batch: list everything once instead.
      auto all = elb_.describeLoadBalancers();
      if (!all) return std::unexpected(all.error());
      out.clear();
      for (auto& lb : *all) {
        if (std::find(names.begin(), names.end(), lb.name) != names.end()) out.push_back(albOf(lb));
      }
      return out;
    }
    if (!got) return std::unexpected(got.error());
    for (auto& lb : albOf(*got)) out.push_back(std::move(lb));
  }
  return out;
}

Result<std::vector<AlbLoadBalancer>> LoadBalancerApi::describeLoadBalancersByArn(const std::vector<std::string>& arns) {
  std::vector<AlbLoadBalancer> out;
  for (size_t start = 0; start < arns.size(); start += kNamesPerDescribe) {
    std::vector<std::string> batch(arns.begin() + start, arns.begin() + std::min(arns.size(), start + kNamesPerDescribe));
    auto got = elb_.describeLoadBalancers({}, batch);
    if (!got && got.error().code == ErrorCode::kNotFound) continue;
    if (!got) return std::unexpected(got.error());
    for (auto& lb : albOf(*got)) out.push_back(std::move(lb));
  }
  return out;
}

Status LoadBalancerApi::setSubnets(const std::string& arn, const std::vector<std::string>& subnets) {
  return elb_.setSubnets(arn, subnets);
}

Status LoadBalancerApi::setSecurityGroups(const std::string& arn, const std::vector<std::string>& groups) {
  return elb_.setSecurityGroups(arn, groups);
}

Status LoadBalancerApi::deleteLoadBalancer(const std::string& arn) { return elb_.deleteLoadBalancer(arn); }

Result<AlbListener> LoadBalancerApi::createListener(const std::string& loadBalancerArn, const AlbListenerSpec& spec,
                                                    const Tags& tags) {
  auto s = listenerSpecOf(spec, true, tags);
  if (!s) return std::unexpected(s.error());
  auto l = elb_.createListener(loadBalancerArn, *s);
  if (!l) return std::unexpected(l.error());
  return albOf(*l);
}

Result<AlbListener> LoadBalancerApi::modifyListener(const std::string& listenerArn, const AlbListenerSpec& spec,
                                                    bool setDefaultAction) {
  auto s = listenerSpecOf(spec, setDefaultAction, {});
  if (!s) return std::unexpected(s.error());
  auto l = elb_.modifyListener(listenerArn, *s, setDefaultAction);
  if (!l) return std::unexpected(l.error());
  return albOf(*l);
}

Result<std::vector<AlbListener>> LoadBalancerApi::describeListeners(const std::string& loadBalancerArn) {
  return viewOrNone<AlbListener>(elb_.describeListeners(loadBalancerArn));
}

Status LoadBalancerApi::deleteListener(const std::string& arn) { return elb_.deleteListener(arn); }

Result<AlbRule> LoadBalancerApi::createRule(const std::string& listenerArn, int priority,
                                            const std::vector<std::string>& hosts,
                                            const std::vector<std::string>& paths, const Tags& tags) {
  auto r = elb_.createRule(listenerArn, priority, conditionsOf(hosts, paths), ElbAction::fixedResponse("503"), tags);
  if (!r) return std::unexpected(r.error());
  return albOf(*r);
}

Status LoadBalancerApi::modifyRuleConditions(const std::string& ruleArn, const std::vector<std::string>& hosts,
                                             const std::vector<std::string>& paths) {
  return elb_.modifyRuleConditions(ruleArn, conditionsOf(hosts, paths));
}

Status LoadBalancerApi::setRulePriority(const std::string& ruleArn, int priority) {
  return elb_.setRulePriority(ruleArn, priority);
}

Result<std::vector<AlbRule>> LoadBalancerApi::describeRules(const std::string& listenerArn) {
  return viewOrNone<AlbRule>(elb_.describeRules(listenerArn));
}

Status LoadBalancerApi::deleteRule(const std::string& arn) { return elb_.deleteRule(arn); }

Status LoadBalancerApi::addTags(const std::vector<std::string>& arns, const Tags& tags) { return elb_.addTags(arns, tags); }

Result<std::map<std::string, Tags>> LoadBalancerApi::describeTags(const std::vector<std::string>& arns) {
  return elb_.describeTags(arns);
}

}  // namespace ramp::infra::aws
