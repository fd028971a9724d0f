// AwsInfraProvider.h — InfraProvider (infra/InfraProvider.h) for the aws_*
// resource types, over the typed APIs of this folder.
//
// Each resource's region picks the regional client (AwsRegionClients; IAM
// and Route 53 are global services signed for us-east-1). Attributes follow
// infra/DesiredGraph.h (listed in docs/infra.md, "AWS"):
//   aws_lb                   name, type, scheme, ip_address_type, subnets, security_groups, vpc
//   aws_lb_listener          load_balancer (address), port, protocol, certificate_arn,
//                            ssl_policy, default_action (fixed-response:<code> |
//                            redirect:<protocol>:<port>)
//   aws_lb_listener_rule     listener (address), priority, condition {host_header |
//                            path_pattern: [...]}, service (kept as tag ramp:service)
//   aws_cloudwatch_alarm     name, metric, namespace, metric_name, statistic |
//                            extended_statistic, divide_by (metric math m1/m2),
//                            comparison, threshold, period, evaluation_periods,
//                            load_balancer (address), alarm_actions ([topic address])
//   aws_sns_topic            name
//   aws_iam_instance_profile name, path (global)
//   aws_route53_record       zone, name, type, alias, ttl, routing, sets
//                            [{set_identifier, target (lb address), weight | region}]
// Attributes that name another resource hold its ADDRESS; the provider
// resolves them to ARNs from `dependencies`, else by the ramp:address tag
// (Resource Groups Tagging API), and reads them back the same way (the ARN
// AWS holds → that resource's ramp:address tag), so a plan compares
// addresses, never ids that do not exist yet. A ResourceState's attributes
// hold the keys the desired resource names, valued from AWS; a desired null
// stays null (not managed); string lists equal as sets keep the desired
// order. A listener whose default action a deployment turned into "forward"
// reads as desired (weights belong to deployments).
//
// Batching in readMany (one type, one region): load balancers 20 names per
// DescribeLoadBalancers; listeners: one GetResources for the load balancers'
// addresses + one DescribeLoadBalancers + one DescribeListeners per load
// balancer; rules: the environment's load balancers by tag, their listeners,
// one DescribeRules per listener concerned and DescribeTags by 20; alarms 100
// names per DescribeAlarms (+ one GetResources to map ARNs to addresses);
// topics one ListTopics page per 100 topics; instance profiles one
// ListInstanceProfiles page per 1000; records one ListHostedZonesByName per
// zone (cached) and one ListResourceRecordSets per record, or a scan of the
// zone when that is fewer calls.
//
// Idempotent create: alarms, topics and Route 53 UPSERTs are idempotent in
// AWS; load balancers, listeners, rules and instance profiles are looked up
// first (by name, port or ramp:address tag) and one carrying this address's
// tag is adopted instead of making a twin; one that exists without it is a
// conflict (never taken over). None of these APIs take a client token, so
// the clientToken is recorded as the tag ramp:client-token. Everything
// taggable gets the desired tags plus ramp:address and ramp:managed-by=infra.
// listTagged: regional resources by tag (GetResources for load balancers,
// alarms and topics; listeners and rules under ramp's load balancers);
// region "" (or "global") lists the instance profiles tagged
// ramp:region=global. Route 53 records cannot carry tags: listTagged never
// reports them (drift finds changed/deleted records by reading them).
// callsMade counts the API calls of this provider's own clients.
// Thread-safe.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "infra/InfraProvider.h"
#include "providers/aws/AwsRegionClients.h"

namespace ramp::infra::aws {

class AwsInfraProvider : public InfraProvider {
 public:
  // Its own clients (so callsMade counts only this provider's calls).
  AwsInfraProvider(providers::aws::AwsClientOptions base, std::shared_ptr<providers::aws::CredentialsProvider> credentials,
                   providers::aws::HttpTransport& http, Clock& clock, providers::aws::Sleeper& sleeper,
                   providers::aws::RateBudget& budget);
  // Production: standard credentials chain, libcurl, the shared rate budget;
  // AWS_ENDPOINT_URL(_<SERVICE>) honoured (moto in tests).
  explicit AwsInfraProvider(providers::aws::AwsClientOptions base = {});

  Result<std::map<std::string, ResourceState>> readMany(const std::string& type, const std::string& region,
                                                        const std::vector<Resource>& wanted) override;
  Result<ResourceState> create(const Resource& desired, const std::string& clientToken,
                               const std::map<std::string, ResourceState>& dependencies) override;
  Result<ResourceState> update(const Resource& desired, const ResourceState& current,
                               const std::map<std::string, ResourceState>& dependencies) override;
  Status remove(const ResourceState& current) override;
  Result<std::vector<ResourceState>> listTagged(const std::string& project, const std::string& env,
                                                const std::string& region) override;
  uint64_t callsMade() const override;

  static bool handles(const std::string& type);

 private:
  providers::aws::AwsClient& client(const std::string& region);
  Result<ResourceState> readOne(const Resource& desired);
  Result<std::string> zoneId(const std::string& zone);

  Result<std::map<std::string, ResourceState>> readLoadBalancers(const std::string& region, const std::vector<Resource>& wanted);
  Result<std::map<std::string, ResourceState>> readListeners(const std::string& region, const std::vector<Resource>& wanted);
  Result<std::map<std::string, ResourceState>> readRules(const std::string& region, const std::vector<Resource>& wanted);
  Result<std::map<std::string, ResourceState>> readAlarms(const std::string& region, const std::vector<Resource>& wanted);
  Result<std::map<std::string, ResourceState>> readTopics(const std::string& region, const std::vector<Resource>& wanted);
  Result<std::map<std::string, ResourceState>> readProfiles(const std::vector<Resource>& wanted);
  Result<std::map<std::string, ResourceState>> readRecords(const std::vector<Resource>& wanted);

  // address -> ARN of ramp-tagged resources (dependencies first, then
  // GetResources; narrowed to the project/env when the caller knows them).
  Result<std::map<std::string, std::string>> arnsOf(const std::string& region, const std::vector<std::string>& addresses,
                                                    const std::vector<std::string>& resourceTypes,
                                                    const std::map<std::string, ResourceState>& dependencies,
                                                    const Resource* scope = nullptr);
  // listener address -> listener ARN, for the listeners of the
  // environment's load balancers (by the ramp:project/env tags of `scope`),
  // or, for resources read back from state without tags, of the load
  // balancers named by the rules' names ("<load balancer>/<service>").
  Result<std::map<std::string, std::string>> listenerArns(const std::string& region, const Resource& scope,
                                                          const std::vector<std::string>& lbNames,
                                                          const std::map<std::string, ResourceState>& dependencies,
                                                          const std::vector<std::string>& addresses);
  Status writeRecord(const Resource& desired, const std::map<std::string, ResourceState>& dependencies);
  Status putAlarm(const Resource& desired, const std::map<std::string, ResourceState>& dependencies,
                  const std::string& clientToken);

  std::unique_ptr<providers::aws::AwsRegionClients> clients_;
  mutable std::mutex mu_;
  std::set<std::string> regionsUsed_;
  std::map<std::string, std::string> zoneIds_;
};

}  // namespace ramp::infra::aws
