// LoadBalancerApi.h — the Elastic Load Balancing v2 calls infrastructure as
// code needs, in IaC's terms: a view over providers/aws/ElbV2Api (the one
// ELBv2 client; it builds the requests, parses the answers, pages).
//
// It reads and writes the attributes IaC manages: a load balancer's subnets
// and security groups, listeners with protocol, port, certificate and a
// fixed-response or HTTP→HTTPS redirect default action (spelled
// "fixed-response:<code>" / "redirect:<protocol>:<port>", as in resource
// attributes), and listener rules matching hosts and paths. Everything is
// created with its tags in the same call.
//
// Batching: describeLoadBalancers takes up to 20 names per call (AWS's
// limit); a batch naming a load balancer that does not exist fails on AWS
// with LoadBalancerNotFound, so describeLoadBalancersByName falls back to
// listing every load balancer (400 per page) and filtering, instead of one
// call per name. describeTags takes 20 ARNs per call. Listeners and rules
// of a load balancer or listener that is gone read as none.
// Deletes of something already gone succeed. Errors: see AwsClient.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "providers/aws/AwsClient.h"
#include "providers/aws/ElbV2Api.h"

namespace ramp::infra::aws {

using providers::aws::AwsClient;
using Tags = std::map<std::string, std::string>;

struct AlbLoadBalancer {
  std::string arn, name, dnsName, canonicalHostedZoneId, scheme, type, vpcId, ipAddressType;
  std::vector<std::string> subnets;         // sorted
  std::vector<std::string> securityGroups;  // sorted
};

struct AlbListener {
  std::string arn, loadBalancerArn, protocol, certificate, sslPolicy;
  int port = 0;
  // "fixed-response:<code>", "redirect:<protocol>:<port>", "forward" (a deployment's weights)
  std::string defaultAction;
};

struct AlbListenerSpec {
  std::string protocol = "HTTP";
  int port = 80;
  std::string certificate;        // HTTPS: ACM certificate ARN
  std::string sslPolicy;          // "" = AWS's default
  // "fixed-response:<code>" or "redirect:<protocol>:<port>" (301); "" = fixed-response:503
  std::string defaultAction;
};

struct AlbRule {
  std::string arn;
  int priority = 0;  // 0 = the default rule
  std::vector<std::string> hosts, paths;
};

class LoadBalancerApi {
 public:
  explicit LoadBalancerApi(AwsClient& client) : elb_(client) {}

  Result<AlbLoadBalancer> createLoadBalancer(const std::string& name, const std::string& scheme,
                                             const std::vector<std::string>& subnets,
                                             const std::vector<std::string>& securityGroups, const Tags& tags);
  // Only those that exist, in 20-name batches (see above).
  Result<std::vector<AlbLoadBalancer>> describeLoadBalancersByName(const std::vector<std::string>& names);
  Result<std::vector<AlbLoadBalancer>> describeLoadBalancersByArn(const std::vector<std::string>& arns);
  Status setSubnets(const std::string& arn, const std::vector<std::string>& subnets);
  Status setSecurityGroups(const std::string& arn, const std::vector<std::string>& groups);
  Status deleteLoadBalancer(const std::string& arn);

  Result<AlbListener> createListener(const std::string& loadBalancerArn, const AlbListenerSpec& spec, const Tags& tags);
  // Changes protocol, port, certificate and SSL policy, and the default
  // action only when setDefaultAction (a forward action belongs to deployments).
  Result<AlbListener> modifyListener(const std::string& listenerArn, const AlbListenerSpec& spec,
                                     bool setDefaultAction);
  Result<std::vector<AlbListener>> describeListeners(const std::string& loadBalancerArn);
  Status deleteListener(const std::string& arn);

  // A rule answering a fixed 503 until a deployment points it at a fleet.
  Result<AlbRule> createRule(const std::string& listenerArn, int priority, const std::vector<std::string>& hosts,
                             const std::vector<std::string>& paths, const Tags& tags);
  Status modifyRuleConditions(const std::string& ruleArn, const std::vector<std::string>& hosts,
                              const std::vector<std::string>& paths);
  Status setRulePriority(const std::string& ruleArn, int priority);
  Result<std::vector<AlbRule>> describeRules(const std::string& listenerArn);
  Status deleteRule(const std::string& arn);

  Status addTags(const std::vector<std::string>& arns, const Tags& tags);
  Result<std::map<std::string, Tags>> describeTags(const std::vector<std::string>& arns);

  static constexpr size_t kNamesPerDescribe = providers::aws::ElbV2Api::kPerDescribe;
  static constexpr size_t kArnsPerDescribeTags = providers::aws::ElbV2Api::kPerDescribe;

 private:
  providers::aws::ElbV2Api elb_;
};

}  // namespace ramp::infra::aws
