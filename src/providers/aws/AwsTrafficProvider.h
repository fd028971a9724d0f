// AwsTrafficProvider.h — a service's traffic as the forward action of its
// listener rule on the environment's load balancer.
//
// The load balancer, its listener and the service's rule are the
// environment's infrastructure (`ramp apply`, infra/DesiredGraph); their
// names come with the rendered config (AwsEnvironment: load_balancer,
// rule {port, priority, host | paths}). This provider never creates a load
// balancer: an entry point whose infrastructure is missing is a permanent
// error naming what is missing and the command that fixes it
// (`ramp apply --env ENV`).
//
// ensureEntrypoint finds the load balancer (by name), the listener (by the
// rule's port) and the service's rule (by its priority, checked to match the
// service's host or paths) — always read afresh: it is how a deployment
// verifies the infrastructure before it starts — and returns where users
// reach the service: https://<record> with DNS, else
// http://<ALB DNS>:<port>/<service>.
//
// setTraffic: the rule's action becomes one forward action whose target
// groups are the fleets' (found by the deterministic names of
// AwsFleetProvider::resourceName; weight-0 fleets stay in it so that the
// read back equals the plan; no positive weight = a fixed 503). The rule's
// conditions and priority stay the infrastructure's. Pinning: the service's
// two rules just below its own (config/AwsResourceNames.h: header at P-2,
// cookie at P-1), matching the service's host or paths AND the header (any
// value) or the "Cookie" header (*<cookie>=*), forwarding to the pinned
// fleet's target group; stale ones are deleted.
//
// appliedTraffic reads DescribeRules back, never memory — except that an
// answer is remembered (ReadSchedule): after a change the next look reads
// (that is the verification), a steady answer is read again after the slow
// period (60 s ± 10 %), a busy one (a weighted fleet without healthy
// targets) after ~1 s. A fleet's backends are its healthy instance ids
// (FleetProvider::fleetStatus, remembered the same way). inflight is not
// observable on an ALB: always 0 — draining is the target group's
// deregistration delay. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "providers/Provider.h"
#include "providers/aws/AwsEnvironment.h"
#include "providers/aws/AwsRegionClients.h"
#include "providers/aws/ElbV2Api.h"
#include "providers/aws/ReadSchedule.h"

namespace ramp::providers::aws {

class AwsTrafficProvider final : public TrafficProvider {
 public:
  AwsTrafficProvider(AwsRegionClients& clients, AwsEnvironmentSource& environments, FleetProvider& fleets,
                     Clock& clock);

  Result<std::string> ensureEntrypoint(const EntrypointKey& key) override;
  Status setTraffic(const TrafficSplit& split) override;
  Result<TrafficSplit> appliedTraffic(const EntrypointKey& key) override;
  Result<int64_t> inflight(const EntrypointKey& key, const std::string& fleetId) override;
  // dns.drain with weighted routing: the region's set of the service's
  // record at weight 0 (drain) or back at 1; remembered once read back, so
  // a steady answer costs no call (a restarted controller reads once).
  Result<bool> drainRegion(const EntrypointKey& key, bool drain) override;

  // Something outside this provider changed the rules (a fleet retired, an
  // apply of the infrastructure): every remembered answer is read again,
  // and entry points are found afresh.
  void forgetAnswers();

 private:
  struct Entry {
    AwsEnvironment env;
    std::string loadBalancerArn, loadBalancerDns, listenerArn, ruleArn, url;
  };
  // What the service's rule and its pinning rules do now.
  struct RuleView {
    std::vector<WeightedTargetGroup> forward;
    std::vector<ListenerRule> pins;  // at the pinning priorities
  };
  Result<Entry> resolve(const EntrypointKey& key);
  Result<Entry> entry(const EntrypointKey& key);
  Result<RuleView> readRules(const EntrypointKey& key, const Entry& en);
  Result<TrafficSplit> toSplit(const EntrypointKey& key, AwsClient& client, const RuleView& view);
  Result<std::string> fleetOf(AwsClient& client, const std::string& targetGroupArn);
  void forget(const EntrypointKey& key);

  AwsRegionClients& clients_;
  AwsEnvironmentSource& environments_;
  FleetProvider& fleets_;
  ReadSchedule reads_;
  std::mutex mu_;
  std::map<EntrypointKey, Entry> entries_;
  std::map<EntrypointKey, TrafficSplit> applied_;  // remembered answers (reads_)
  std::map<std::string, std::string> fleetByTargetGroup_;
  std::map<std::string, std::string> targetGroupByName_;
  std::map<EntrypointKey, bool> drained_;  // what Route 53 was last read back as
};

}  // namespace ramp::providers::aws
