#include "providers/aws/RateBudget.h"

#include <algorithm>

#include "providers/aws/ThreadSleeper.h"

namespace ramp::providers::aws {
namespace {

bool startsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool nonMutating(std::string_view action) {
  return startsWith(action, "Describe") || startsWith(action, "List") || startsWith(action, "Get");
}

// Actions with a bucket of their own, named "<service>:<action>": EC2's
// resource-intensive actions, and CloudWatch's per-action TPS quotas
// (buckets of one second's worth).
struct OwnBucket {
  std::string_view service;
  std::string_view action;
  BucketSpec spec;
};
constexpr OwnBucket kOwnBuckets[] = {
    {"ec2", "RunInstances", {5, 2}},
    {"ec2", "TerminateInstances", {100, 5}},
    {"ec2", "CreateTags", {100, 10}},
    {"monitoring", "PutMetricData", {500, 500}},
    {"monitoring", "GetMetricData", {50, 50}},
    {"monitoring", "DescribeAlarms", {9, 9}},
};

}  // namespace

RateBudget::RateBudget(Clock& clock, Sleeper& sleeper, Millis maxWait)
    : clock_(clock), sleeper_(sleeper), maxWait_(maxWait) {}

RateBudget& RateBudget::shared() {
  static RateBudget budget(SystemClock::instance(), ThreadSleeper::instance());
  return budget;
}

std::vector<BucketRef> RateBudget::bucketsFor(std::string_view service, std::string_view action,
                                              bool unfilteredDescribe) {
  for (const auto& own : kOwnBuckets) {
    if (own.service == service && own.action == action) {
      return {{std::string(service) + ":" + std::string(action), own.spec}};
    }
  }
  std::vector<BucketRef> out;
  if (service == "ec2") {
    static constexpr std::string_view kUnfilteredSmall[] = {
        "DescribeInstances", "DescribeInstanceStatus", "DescribeNetworkInterfaces", "DescribeSecurityGroups",
        "DescribeSnapshots", "DescribeSpotInstanceRequests", "DescribeVolumes"};
    if (unfilteredDescribe &&
               std::find(std::begin(kUnfilteredSmall), std::end(kUnfilteredSmall), action) !=
                   std::end(kUnfilteredSmall)) {
      out.push_back({"ec2:unfiltered-describe", {50, 10}});
    } else if (nonMutating(action)) {
      out.push_back({"ec2:non-mutating", {100, 20}});
    } else {
      out.push_back({"ec2:mutating", {50, 5}});
    }
  } else if (service == "elasticloadbalancing") {
    out.push_back({"elasticloadbalancing:account", {40, 10}});
    if (nonMutating(action)) {
      out.push_back({"elasticloadbalancing:non-mutating", {40, 10}});
    } else if (action == "RegisterTargets" || action == "DeregisterTargets") {
      out.push_back({"elasticloadbalancing:targets", {20, 4}});
    } else if (action == "CreateLoadBalancer" || action == "SetSubnets") {
      out.push_back({"elasticloadbalancing:create-load-balancer", {10, 0.2}});
    } else {
      out.push_back({"elasticloadbalancing:mutating", {20, 3}});
    }
  } else if (service == "autoscaling") {
    // AWS does not publish the Auto Scaling bucket; one shared bucket, sized
    // like ELB's account bucket (an assumption, see docs/aws.md).
    out.push_back({"autoscaling:account", {40, 10}});
  } else if (service == "route53") {
    out.push_back({"route53:account", {50, 10}});
    if (action == "ChangeResourceRecordSets") out.push_back({"route53:changes", {5, 5}});
  } else if (service == "monitoring") {
    if (action == "SetAlarmState" || action == "PutMetricAlarm") {
      out.push_back({"monitoring:alarm-mutating", {3, 3}});
    } else {
      out.push_back({"monitoring:other", {20, 20}});
    }
  } else {
    out.push_back({std::string(service) + ":default", {50, 10}});
  }
  return out;
}

void RateBudget::setSpec(const std::string& bucketName, BucketSpec spec) {
  std::lock_guard lock(mu_);
  overrides_[bucketName] = spec;
}

TokenBucket& RateBudget::bucket(const std::string& key, const BucketRef& ref, MonoTime now) {
  auto it = buckets_.find(key);
  if (it != buckets_.end()) return it->second;
  BucketSpec spec = ref.spec;
  if (auto o = overrides_.find(ref.name); o != overrides_.end()) spec = o->second;
  return buckets_.emplace(key, TokenBucket(spec, now)).first->second;
}

Result<Millis> RateBudget::acquire(std::string_view account, std::string_view region, std::string_view service,
                                   std::string_view action, bool unfilteredDescribe) {
  auto refs = bucketsFor(service, action, unfilteredDescribe);
  Millis wait{0};
  {
    std::lock_guard lock(mu_);
    auto now = clock_.monotonic();
    std::vector<TokenBucket*> taken;
    for (const auto& ref : refs) {
      std::string key = std::string(account) + "/" + std::string(region) + "/" + ref.name;
      auto& b = bucket(key, ref, now);
      wait = std::max(wait, b.reserve(1, now));
      taken.push_back(&b);
    }
    if (wait > maxWait_) {
      for (auto* b : taken) b->refund(1);
      return unavailable("client-side rate budget for " + std::string(service) + " " + std::string(action) +
                             " would need a wait of " + std::to_string(wait.count()) + " ms (limit " +
                             std::to_string(maxWait_.count()) + " ms)",
                         "aws:" + std::string(service) + ":" + std::string(action));
    }
  }
  if (wait.count() > 0) sleeper_.sleepFor(wait);
  return wait;
}

double RateBudget::level(std::string_view account, std::string_view region, const std::string& bucketName) {
  std::lock_guard lock(mu_);
  std::string key = std::string(account) + "/" + std::string(region) + "/" + bucketName;
  auto it = buckets_.find(key);
  if (it == buckets_.end()) return -1;
  return it->second.level(clock_.monotonic());
}

}  // namespace ramp::providers::aws
