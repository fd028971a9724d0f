// RetryPolicy.h — AWS "standard" retry mode, with its retry quota.
//
// Rules (AWS SDKs reference guide, "Retry behavior", standard mode):
//  * at most maxAttempts attempts per call (default 3, AWS_MAX_ATTEMPTS);
//  * retryable: throttling error codes (isThrottling), transient codes and
//    HTTP 500/502/503/504, timeouts and connection errors;
//  * every retry takes retryCost (5) tokens from a quota of 500, a retry
//    after a timeout takes timeoutCost (10); no tokens, no retry;
//  * a call that succeeds gives back what its retries took, or +1 token if
//    it took none (never above the capacity);
//  * backoff before retry i (i = 1, 2, ...) is min(rand * base * 2^(i-1),
//    maxBackoff) with full jitter, rand uniform in [0, 1).
// Thread-safe: one policy (and quota) is shared by every call of a client.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string_view>

#include "core/Clock.h"

namespace ramp::providers::aws {

struct RetryConfig {
  int maxAttempts = 3;
  int quotaCapacity = 500;
  int retryCost = 5;
  int timeoutCost = 10;
  int successIncrement = 1;
  Millis base{1000};
  Millis maxBackoff{20000};
};

// Why an attempt failed, as far as retrying is concerned.
enum class FailureKind {
  kThrottling,   // a throttling error code
  kTransient,    // 5xx or a transient error code
  kTimeout,      // the request timed out
  kConnection,   // could not connect, connection reset or dropped
  kPermanent,    // anything else: do not retry
};

class RetryPolicy {
 public:
  explicit RetryPolicy(RetryConfig config = {}, std::function<double()> random = {});

  static bool isThrottlingCode(std::string_view code);
  static bool isTransientCode(std::string_view code);
  // Classifies an HTTP answer (status, AWS error code, "" if none).
  static FailureKind classify(int httpStatus, std::string_view code);

  // After attempt `attempt` (1-based) failed with `kind`: the delay before
  // the next attempt, or nullopt when the call must give up (not retryable,
  // attempts used up, or quota empty). On a retry the quota cost is added
  // to `tokensHeld`, which the caller hands back to onSuccess.
  std::optional<Millis> beforeRetry(int attempt, FailureKind kind, int& tokensHeld);
  void onSuccess(int tokensHeld);

  int quotaAvailable() const;
  const RetryConfig& config() const { return config_; }
  // Reads AWS_MAX_ATTEMPTS / AWS_RETRY_MODE (only "standard" is supported;
  // "legacy"/"adaptive" are treated as standard) into `base`.
  static RetryConfig fromEnvironment(RetryConfig base = {});

 private:
  RetryConfig config_;
  std::function<double()> random_;
  mutable std::mutex mu_;
  int quota_;
};

}  // namespace ramp::providers::aws
