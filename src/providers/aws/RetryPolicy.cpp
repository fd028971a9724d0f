#include "providers/aws/RetryPolicy.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <random>
#include <string>

namespace ramp::providers::aws {
namespace {

constexpr std::array<std::string_view, 14> kThrottling = {
    "Throttling",          "ThrottlingException",     "ThrottledException",
    "RequestThrottledException", "TooManyRequestsException", "ProvisionedThroughputExceededException",
    "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
    "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
    "EC2ThrottledException"};

constexpr std::array<std::string_view, 5> kTransient = {
    "RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure",
    "ServiceUnavailable"};

double defaultRandom() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
}

}  // namespace

RetryPolicy::RetryPolicy(RetryConfig config, std::function<double()> random)
    : config_(config), random_(random ? std::move(random) : defaultRandom), quota_(config.quotaCapacity) {}

bool RetryPolicy::isThrottlingCode(std::string_view code) {
  return std::find(kThrottling.begin(), kThrottling.end(), code) != kThrottling.end();
}

bool RetryPolicy::isTransientCode(std::string_view code) {
  return std::find(kTransient.begin(), kTransient.end(), code) != kTransient.end();
}

FailureKind RetryPolicy::classify(int httpStatus, std::string_view code) {
  if (isThrottlingCode(code)) return FailureKind::kThrottling;
  if (httpStatus == 429) return FailureKind::kThrottling;
  if (isTransientCode(code)) return FailureKind::kTransient;
  if (httpStatus == 500 || httpStatus == 502 || httpStatus == 503 || httpStatus == 504) {
    return FailureKind::kTransient;
  }
  return FailureKind::kPermanent;
}

std::optional<Millis> RetryPolicy::beforeRetry(int attempt, FailureKind kind, int& tokensHeld) {
  if (kind == FailureKind::kPermanent) return std::nullopt;
  if (attempt >= config_.maxAttempts) return std::nullopt;
  int cost = kind == FailureKind::kTimeout ? config_.timeoutCost : config_.retryCost;
  {
    std::lock_guard lock(mu_);
    if (quota_ < cost) return std::nullopt;
    quota_ -= cost;
  }
  tokensHeld += cost;
  double r = std::clamp(random_(), 0.0, 1.0);
  double scaled = r * static_cast<double>(config_.base.count()) * std::ldexp(1.0, std::min(attempt - 1, 30));
  double capped = std::min(scaled, static_cast<double>(config_.maxBackoff.count()));
  return Millis(static_cast<int64_t>(capped));
}

void RetryPolicy::onSuccess(int tokensHeld) {
  std::lock_guard lock(mu_);
  quota_ = std::min(config_.quotaCapacity, quota_ + (tokensHeld > 0 ? tokensHeld : config_.successIncrement));
}

int RetryPolicy::quotaAvailable() const {
  std::lock_guard lock(mu_);
  return quota_;
}

RetryConfig RetryPolicy::fromEnvironment(RetryConfig base) {
  if (const char* v = std::getenv("AWS_MAX_ATTEMPTS")) {
    char* end = nullptr;
    long n = std::strtol(v, &end, 10);
    if (end && *end == '\0' && n >= 1 && n <= 20) base.maxAttempts = static_cast<int>(n);
  }
  return base;
}

}  // namespace ramp::providers::aws
