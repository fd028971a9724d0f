// ElbV2Api.h — typed Elastic Load Balancing v2 (ALB) calls over AwsClient.
//
// The operations the AWS traffic adapter needs: load balancers, target
// groups, weighted forward listeners, header-matching listener rules
// (canary pinning), targets, health, tags. Idempotency
// as AWS defines it: CreateTargetGroup/CreateLoadBalancer with the name and
// settings of an existing one return it (no twin); Register/Deregister are
// idempotent. Errors: see AwsClient.
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

struct LoadBalancerSpec {
  std::string name;
  std::vector<std::string> subnets;
  std::vector<std::string> securityGroups;
  std::string scheme = "internet-facing";
  std::string type = "application";
};

struct LoadBalancer {
  std::string arn, name, dnsName, vpcId, state, scheme;
};

struct WeightedTargetGroup {
  std::string targetGroupArn;
  int weight = 0;
};

struct Listener {
  std::string arn, loadBalancerArn, protocol;
  int port = 0;
  std::vector<WeightedTargetGroup> forward;  // the default forward action
};

struct Target {
  std::string id;
  int port = 0;  // 0 = the target group's port
};

struct TargetHealth {
  std::string id, state, reason;
  int port = 0;
};

// A listener rule matching one HTTP header (name, values with * wildcards)
// and forwarding to weighted target groups. Cookies are matched as the
// "Cookie" header with a wildcard value ("*name=*").
struct ListenerRule {
  std::string arn;
  std::string priority;   // "1".."50000", or "default"
  bool isDefault = false;
  std::string headerName;
  std::vector<std::string> headerValues;
  std::vector<WeightedTargetGroup> forward;
};

class ElbV2Api {
 public:
  explicit ElbV2Api(AwsClient& client) : client_(client) {}

  Result<LoadBalancer> createLoadBalancer(const LoadBalancerSpec& spec);
  Result<std::vector<LoadBalancer>> describeLoadBalancers(const std::vector<std::string>& names = {});
  Result<TargetGroup> createTargetGroup(const TargetGroupSpec& spec);
  // By names, or by ARNs (one of them), or all when both are empty.
  Result<std::vector<TargetGroup>> describeTargetGroups(const std::vector<std::string>& names = {},
                                                        const std::vector<std::string>& arns = {});
  Status deleteTargetGroup(const std::string& arn);
  // An empty `forward` makes the default action a fixed 503 answer (no fleet).
  Result<Listener> createListener(const std::string& loadBalancerArn, const std::string& protocol, int port,
                                  const std::vector<WeightedTargetGroup>& forward);
  Result<Listener> modifyListener(const std::string& listenerArn, const std::vector<WeightedTargetGroup>& forward);
  Result<std::vector<Listener>> describeListeners(const std::string& loadBalancerArn);
  Status registerTargets(const std::string& targetGroupArn, const std::vector<Target>& targets);
  Status deregisterTargets(const std::string& targetGroupArn, const std::vector<Target>& targets);
  Result<std::vector<TargetHealth>> describeTargetHealth(const std::string& targetGroupArn);
  Result<ListenerRule> createRule(const std::string& listenerArn, int priority, const std::string& headerName,
                                  const std::vector<std::string>& headerValues,
                                  const std::vector<WeightedTargetGroup>& forward);
  Result<std::vector<ListenerRule>> describeRules(const std::string& listenerArn);
  Status deleteRule(const std::string& ruleArn);
  Status addTags(const std::vector<std::string>& arns, const std::map<std::string, std::string>& tags);
  // arn -> tags (at most 20 ARNs per call, as the API allows).
  Result<std::map<std::string, std::map<std::string, std::string>>> describeTags(const std::vector<std::string>& arns);

  // Request parameters of a weighted forward action (also used by tests).
  static void forwardParams(QueryParams& p, const std::string& prefix, const std::vector<WeightedTargetGroup>& fwd);
  static void defaultActionParams(QueryParams& p, const std::vector<WeightedTargetGroup>& forward);

 private:
  AwsClient& client_;
};

}  // namespace ramp::providers::aws
