// FakeInfraProvider.h — an in-memory InfraProvider that models what makes
// real clouds slow: per-call latency, per-API-family rate limits (token
// buckets per family × region, like AWS's per-account-and-region buckets)
// and a maximum batch size per Describe call. For tests and the benchmark
// (bench/infra); never used against real infrastructure.
//
// Time: every call costs `latency` and, when its bucket is empty, the time
// until a token is back; both are spent through the injected `wait`
// function (with a ManualClock: clock.advance, i.e. simulated time — the
// benchmark's "simulated wall time"). A call takes its token (or reserves
// the next one: the bucket goes into debt and the caller waits until it is
// repaid) under the provider's lock and spends its time WITHOUT the lock, so
// with a `wait` that really sleeps, calls of different threads overlap like
// a parallel client's; with ManualClock::advance every call adds to the one
// clock, so simulated time is the SUM of call times (a serial client).
// timeSpentByRegion() is that sum per region (what one worker per region
// would spend), maxRegionsInFlight() the most regions that had a call in
// flight at the same moment (how a parallel refresh is observed).
// Empty bucket: kWait spends the time until a token is back (a client that
// keeps within its budget); kThrottle fails the call with kUnavailable
// "ThrottlingException: Rate exceeded" (counted in throttled()).
//
// Families (defaults, from AWS's published figures; see docs/benchmarks.md, "Infrastructure as code"):
//   type                   family            bucket/refill per s   batch per Describe
//   aws_lb                 elbv2             40 / 10               20 names (DescribeLoadBalancers)
//   aws_lb_listener        elbv2             40 / 10               20 ARNs  (DescribeListeners)
//   aws_lb_listener_rule   elbv2             40 / 10               20 ARNs  (DescribeRules)
//   aws_cloudwatch_alarm   cloudwatch        10 / 9                100 names (DescribeAlarms)
//   aws_sns_topic          sns               30 / 30               100 (ListTopics page)
//   aws_iam_instance_profile iam             20 / 20               100 (ListInstanceProfiles page)
//   aws_route53_record     route53           5 / 5                 300 (ListResourceRecordSets page)
//   local_listener         local             1000 / 1000           1000
// Mutating calls (create/update/remove) use "<family>-write" buckets
// (elbv2-write 20 / 3, others as their family) and one call each.
//
// Behaviour: create is idempotent by client token (a second call with the
// same token returns what the first made) and checks that every dependsOn
// is given in `dependencies` and exists; update refuses a change to a
// forceNew attribute; remove of something gone is success; listTagged
// matches the ramp:project / ramp:env tags and the resource's region (""
// or "global": the global resources only), never a deployment's resource
// (tagged ramp:fleet, or ramp:managed-by other than infra). Thread-safe.
// Test hooks change the world behind ramp's back (deleteOutOfBand,
// setAttributeOutOfBand, addOutOfBand) and inject failures (failNext).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/Clock.h"
#include "infra/InfraProvider.h"

namespace ramp::infra {

struct ApiFamily {
  std::string name;
  double burst = 40;        // bucket size
  double refillPerSec = 10;
  size_t maxBatch = 20;     // resources per Describe call
};

class FakeInfraProvider final : public InfraProvider {
 public:
  enum class OnEmptyBucket { kWait, kThrottle };
  struct Options {
    std::chrono::milliseconds latency{50};
    OnEmptyBucket onEmpty = OnEmptyBucket::kWait;
    std::map<std::string, ApiFamily> families;  // by resource type; empty = the defaults above
    std::string account = "123456789012";
  };

  // Spends simulated (or real) time; the default advances `clock`.
  using Wait = std::function<void(std::chrono::nanoseconds)>;

  FakeInfraProvider(ManualClock& clock, Options options);
  FakeInfraProvider(Clock& clock, Wait wait, Options options);

  static std::map<std::string, ApiFamily> defaultFamilies();
  // The family a type's calls use (its batch size etc.); a type without one
  // gets {"other", 10, 10, 1}.
  ApiFamily familyOf(const std::string& type) const;

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

  // Observations.
  std::map<std::string, uint64_t> callsByFamily() const;  // "elbv2", "elbv2-write", ...
  uint64_t throttled() const;
  std::chrono::nanoseconds timeSpent() const;             // latency + waits, summed
  std::map<std::string, std::chrono::nanoseconds> timeSpentByRegion() const;  // the same per region ("" = global)
  size_t maxRegionsInFlight() const;                      // most regions with a call in flight at once
  size_t size() const;                                    // resources that exist
  std::optional<ResourceState> find(const std::string& address) const;

  // The world changing behind ramp's back.
  void deleteOutOfBand(const std::string& address);
  void setAttributeOutOfBand(const std::string& address, const std::string& attribute, const nlohmann::json& value);
  void addOutOfBand(const ResourceState& state, const nlohmann::json& tags);
  // The next call on `type` (any of read/create/update/remove) fails with `error`.
  void failNext(const std::string& type, Error error);

 private:
  struct Bucket {
    double tokens = 0;
    MonoTime at{};
    bool primed = false;
  };
  struct Entry {
    ResourceState state;
    nlohmann::json tags;
  };
  // One API call: takes (or reserves) a token, then spends the wait and the
  // latency with `lock` released; returns with it held again.
  Status call(std::unique_lock<std::mutex>& lock, const std::string& family, const std::string& region,
              const ApiFamily& limits, const std::string& type);
  ApiFamily writeFamily(const ApiFamily& read) const;

  Clock& clock_;
  Wait wait_;
  Options options_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> resources_;             // by address
  std::map<std::string, std::string> byToken_;         // client token → address
  std::map<std::pair<std::string, std::string>, Bucket> buckets_;  // (family, region)
  std::map<std::string, uint64_t> calls_;
  std::map<std::string, Error> failNext_;
  uint64_t total_ = 0;
  uint64_t throttled_ = 0;
  uint64_t nextId_ = 1;
  std::chrono::nanoseconds spent_{0};
  std::map<std::string, std::chrono::nanoseconds> spentByRegion_;
  std::map<std::string, size_t> inFlight_;             // calls in flight by region
  size_t maxRegionsInFlight_ = 0;
};

}  // namespace ramp::infra
