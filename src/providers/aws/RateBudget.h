// RateBudget.h — client-side token buckets per account + region + API family.
//
// AWS throttles per account and Region with token buckets (EC2, ELB, Auto
// Scaling, Route 53, CloudWatch). ramp mirrors those buckets on its side so
// that many concurrent deployments slow down together instead of running
// into "Rate exceeded". acquire() waits (through the injected Sleeper) until
// every bucket that applies to the call has a token; it fails with
// kUnavailable only if the wait would exceed maxWait.
//
// Buckets per call: the family's account-level bucket (if any) plus the
// bucket of the action's category (see bucketsFor and docs/aws.md for the
// table of defaults). shared() is the process-wide instance used by every
// AwsClient unless a test passes its own. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/Clock.h"
#include "core/Result.h"
#include "providers/aws/Sleeper.h"
#include "providers/aws/TokenBucket.h"

namespace ramp::providers::aws {

struct BucketRef {
  std::string name;  // "ec2:mutating", "elasticloadbalancing:account", ...
  BucketSpec spec;
};

class RateBudget {
 public:
  RateBudget(Clock& clock, Sleeper& sleeper, Millis maxWait = Millis(120'000));

  static RateBudget& shared();

  // The buckets a call of `action` on `service` draws from, with AWS's
  // published sizes (unfilteredDescribe: an EC2 Describe without filters,
  // ids or pagination, which AWS puts in a smaller bucket).
  static std::vector<BucketRef> bucketsFor(std::string_view service, std::string_view action,
                                           bool unfilteredDescribe = false);

  // Overrides one bucket's size (by name, as bucketsFor returns it), for all
  // accounts and regions created afterwards.
  void setSpec(const std::string& bucketName, BucketSpec spec);

  // Waits until the call may go; returns how long it waited.
  Result<Millis> acquire(std::string_view account, std::string_view region, std::string_view service,
                         std::string_view action, bool unfilteredDescribe = false);

  // Current level of a bucket (for tests and /metrics); -1 if never used.
  double level(std::string_view account, std::string_view region, const std::string& bucketName);

 private:
  TokenBucket& bucket(const std::string& key, const BucketRef& ref, MonoTime now);

  Clock& clock_;
  Sleeper& sleeper_;
  Millis maxWait_;
  std::mutex mu_;
  std::map<std::string, TokenBucket> buckets_;
  std::map<std::string, BucketSpec> overrides_;
};

}  // namespace ramp::providers::aws
