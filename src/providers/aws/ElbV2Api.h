// ElbV2Api.h — typed Elastic Load Balancing v2 (ALB) calls over AwsClient:
// the one ELBv2 client of ramp, for the deployment engine's providers and
// for infrastructure as code (infra/aws/LoadBalancerApi is a view over it).
//
// Load balancers (with subnets and security groups), target groups,
// listeners (protocol, port, certificate, SSL policy and a default action:
// weighted forward, fixed response or redirect), listener rules (host, path
// and header conditions; header rules pin users to a canary), targets,
// health, tags. Creates take their tags in the same call. Idempotency as
// AWS defines it: CreateTargetGroup/CreateLoadBalancer with the name and
// settings of an existing one return it (no twin; moto twins load
// balancers). CreateLoadBalancer, CreateListener and CreateRule are not
// sent again by the client when their answer is lost
// (AwsClient::Retry::kIfNotCarriedOut): the caller looks whether it
// happened first (AwsClient::maybeCarriedOut). Register/Deregister are
// idempotent; deletes of something already gone succeed. Describes follow
// NextMarker pages (at most 1000 pages). Errors: see AwsClient.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "providers/aws/AwsClient.h"

namespace ramp::providers::aws {

struct TargetGroupSpec {
  std::string name;
  std::string protocol = "HTTP";
  int port = 80;
  std::string vpcId;
  std::string targetType = "instance";
  std::string healthCheckPath = "/healthz";
};

struct TargetGroup {
  std::string arn, name, protocol, vpcId, targetType, healthCheckPath;
  int port = 0;
  std::vector<std::string> loadBalancerArns;
};

using ElbTags = std::map<std::string, std::string>;

struct LoadBalancerSpec {
  std::string name;  // 1..32 characters
  std::vector<std::string> subnets;
  std::vector<std::string> securityGroups;
  std::string scheme = "internet-facing";
  std::string type = "application";
};

struct LoadBalancer {
  std::string arn, name, dnsName, vpcId, state, scheme;
  std::string canonicalHostedZoneId, type, ipAddressType;
  std::vector<std::string> subnets;         // sorted
  std::vector<std::string> securityGroups;  // sorted
};

struct WeightedTargetGroup {
  std::string targetGroupArn;
  int weight = 0;
};

// A listener's default action or a rule's action. Default: a fixed 503.
struct ElbAction {
  std::string type = "fixed-response";          // forward | fixed-response | redirect
  std::vector<WeightedTargetGroup> forward;     // forward: 1..5 groups, weights 0..999
  std::string statusCode = "503";               // fixed-response: "503"; redirect: "HTTP_301"
  std::string redirectProtocol, redirectPort;   // redirect

  static ElbAction forwardTo(std::vector<WeightedTargetGroup> groups);
  static ElbAction fixedResponse(std::string code);
  static ElbAction redirect(std::string protocol, std::string port);  // 301
};

struct ListenerSpec {
  std::string protocol = "HTTP";
  int port = 80;
  std::string certificate;  // HTTPS: ACM certificate ARN (required)
  std::string sslPolicy;    // HTTPS only; "" = AWS's default
  ElbAction defaultAction;
  ElbTags tags;             // on create only
};

struct Listener {
  std::string arn, loadBalancerArn, protocol;
  int port = 0;
  std::vector<WeightedTargetGroup> forward;  // the default forward action's groups
  std::string certificate, sslPolicy;        // the first certificate
  ElbAction defaultAction;                   // the first default action (type "" when none)
};

struct Target {
  std::string id;
  int port = 0;  // 0 = the target group's port
};

struct TargetHealth {
  std::string id, state, reason;
  int port = 0;
};

// What a listener rule matches: hosts and/or path patterns, and/or one
// HTTP header (name, values with * wildcards; cookies are matched as the
// "Cookie" header with a wildcard value "*name=*"). At least one is needed.
struct RuleConditions {
  std::vector<std::string> hosts;   // host-header
  std::vector<std::string> paths;   // path-pattern
  std::string headerName;           // http-header, with headerValues
  std::vector<std::string> headerValues;
};

struct ListenerRule {
  std::string arn;
  std::string priority;   // "1".."50000", or "default"
  bool isDefault = false;
  std::string headerName;
  std::vector<std::string> headerValues;
  std::vector<WeightedTargetGroup> forward;
  std::vector<std::string> hosts, paths;  // sorted, unique
};

class ElbV2Api {
 public:
  explicit ElbV2Api(AwsClient& client) : client_(client) {}

  Result<LoadBalancer> createLoadBalancer(const LoadBalancerSpec& spec, const ElbTags& tags = {});
  // By names, or by ARNs (one of them; at most 20 per call, as the API
  // allows), or all when both are empty. A name or ARN that does not exist
  // fails the call with kNotFound.
  Result<std::vector<LoadBalancer>> describeLoadBalancers(const std::vector<std::string>& names = {},
                                                          const std::vector<std::string>& arns = {});
  Status setSubnets(const std::string& loadBalancerArn, const std::vector<std::string>& subnets);
  Status setSecurityGroups(const std::string& loadBalancerArn, const std::vector<std::string>& groups);
  Status deleteLoadBalancer(const std::string& arn);
  Result<TargetGroup> createTargetGroup(const TargetGroupSpec& spec);
  // By names, or by ARNs (one of them), or all when both are empty.
  Result<std::vector<TargetGroup>> describeTargetGroups(const std::vector<std::string>& names = {},
                                                        const std::vector<std::string>& arns = {});
  Status deleteTargetGroup(const std::string& arn);
  Result<Listener> createListener(const std::string& loadBalancerArn, const ListenerSpec& spec);
  // An empty `forward` makes the default action a fixed 503 answer (no fleet).
  Result<Listener> createListener(const std::string& loadBalancerArn, const std::string& protocol, int port,
                                  const std::vector<WeightedTargetGroup>& forward);
  // Sets protocol, port, certificate and SSL policy to spec's, and the
  // default action only when setDefaultAction (spec.tags are not used).
  Result<Listener> modifyListener(const std::string& listenerArn, const ListenerSpec& spec, bool setDefaultAction);
  // Only the default action: forward by weight, or a fixed 503 when `forward` is empty.
  Result<Listener> modifyListener(const std::string& listenerArn, const std::vector<WeightedTargetGroup>& forward);
  Result<std::vector<Listener>> describeListeners(const std::string& loadBalancerArn);
  Status deleteListener(const std::string& arn);
  Status registerTargets(const std::string& targetGroupArn, const std::vector<Target>& targets);
  Status deregisterTargets(const std::string& targetGroupArn, const std::vector<Target>& targets);
  Result<std::vector<TargetHealth>> describeTargetHealth(const std::string& targetGroupArn);
  Result<ListenerRule> createRule(const std::string& listenerArn, int priority, const RuleConditions& when,
                                  const ElbAction& action, const ElbTags& tags = {});
  // A header rule forwarding to weighted target groups (canary pinning).
  Result<ListenerRule> createRule(const std::string& listenerArn, int priority, const std::string& headerName,
                                  const std::vector<std::string>& headerValues,
                                  const std::vector<WeightedTargetGroup>& forward);
  Status modifyRuleConditions(const std::string& ruleArn, const RuleConditions& when);
  // Only the rule's action (its conditions stay): the deployments' part of
  // a rule the infrastructure owns.
  Status modifyRuleAction(const std::string& ruleArn, const ElbAction& action);
  Status setRulePriority(const std::string& ruleArn, int priority);
  Result<std::vector<ListenerRule>> describeRules(const std::string& listenerArn);
  Status deleteRule(const std::string& ruleArn);
  // Nothing to do (no call) when arns or tags are empty.
  Status addTags(const std::vector<std::string>& arns, const std::map<std::string, std::string>& tags);
  // arn -> tags (at most 20 ARNs per call, as the API allows).
  Result<std::map<std::string, std::map<std::string, std::string>>> describeTags(const std::vector<std::string>& arns);

  // Request parameters of a weighted forward action (also used by tests).
  static void forwardParams(QueryParams& p, const std::string& prefix, const std::vector<WeightedTargetGroup>& fwd);
  static void defaultActionParams(QueryParams& p, const std::vector<WeightedTargetGroup>& forward);
  // Request parameters of any action under `prefix` ("Actions.member.1"); kInvalid for a bad forward.
  static Status actionParams(QueryParams& p, const std::string& prefix, const ElbAction& action);

  static constexpr size_t kPerDescribe = 20;  // names/ARNs per DescribeLoadBalancers/DescribeTags call

 private:
  AwsClient& client_;
};

}  // namespace ramp::providers::aws
