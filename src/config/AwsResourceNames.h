// AwsResourceNames.h — the names of an aws environment's infrastructure,
// defined once: infrastructure as code creates the resources under these
// names (infra/DesiredGraph) and the deployment providers find them by the
// same names in the rendered config (providers/aws), never by guessing.
//
//   load balancer    aws.load_balancer, else ramp-<project>-<env>-<regionShort>
//                    (lower case, other characters '-'; over 32 characters cut
//                    and ended with 6 hex of its sha256)
//   service rule     priority 100 + 3k on the listener (k from a hash of the
//                    service name, probed in name order: adding a service moves
//                    no other); the two priorities just below it are the
//                    service's pinning rules, made by deployments (header at
//                    P-2, cookie at P-1), so pinned users are matched first
//   service alarm    ramp-<project>-<env>-<service>/<definition> per alarm
//                    definition, in every region; the ones on a target-group
//                    metric watch the service's newest fleet (deployments
//                    point them at it)
//   DNS record       <service>.<dns.name> (dns.name defaults to <env>.<zone>)
#pragma once

#include <map>
#include <string>
#include <vector>

namespace ramp::config {

struct AwsSettings;
struct AwsAlarmDefinition;

// The address infrastructure as code gives the region's load balancer
// (its ramp:address tag): how deployments find it even after a rename.
inline std::string loadBalancerAddress(const std::string& region) { return "aws_lb.main[" + region + "]"; }

// us-east-1 → use1, eu-west-1 → euw1, ap-southeast-2 → apse2; other names unchanged.
std::string regionShort(const std::string& region);

// The region's load balancer: `configured` when set, else
// ramp-<project>-<env>-<regionShort(region)> within 32 characters.
std::string loadBalancerName(const std::string& project, const std::string& env, const std::string& region,
                             const std::string& configured = {});

// Priority of each service's listener rule (services sorted by name,
// collisions probed): 100, 103, ... 49099; never moves when a service is added.
std::map<std::string, int> serviceRulePriorities(const std::vector<std::string>& services);
// The deployment's pinning rules of the service whose rule has `priority`.
inline int headerPinPriority(int rulePriority) { return rulePriority - 2; }
inline int cookiePinPriority(int rulePriority) { return rulePriority - 1; }

std::string serviceAlarmName(const std::string& project, const std::string& env, const std::string& service,
                             const std::string& definition);
// Whether the alarm metric has a per-target-group dimension (then the alarm
// follows the service's fleets; elb_5xx_count is the load balancer's only).
bool alarmFollowsFleets(const std::string& metric);

// The DNS name suffix of the environment's records ("" without aws.dns) and
// one service's record name.
std::string dnsSuffix(const AwsSettings& aws, const std::string& env);
std::string serviceRecordName(const AwsSettings& aws, const std::string& env, const std::string& service);

}  // namespace ramp::config
