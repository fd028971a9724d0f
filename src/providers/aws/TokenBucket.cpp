#include "providers/aws/TokenBucket.h"

#include <algorithm>
#include <cmath>

namespace ramp::providers::aws {

TokenBucket::TokenBucket(BucketSpec spec, MonoTime now) : spec_(spec), tokens_(spec.capacity), last_(now) {}

void TokenBucket::refill(MonoTime now) {
  if (now <= last_) return;
  double secs = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(spec_.capacity, tokens_ + secs * spec_.refillPerSecond);
  last_ = now;
}

Millis TokenBucket::reserve(double n, MonoTime now) {
  refill(now);
  tokens_ -= n;
  if (tokens_ >= 0) return Millis(0);
  if (spec_.refillPerSecond <= 0) return Millis::max();
  return Millis(static_cast<int64_t>(std::ceil(-tokens_ / spec_.refillPerSecond * 1000.0)));
}

void TokenBucket::refund(double n) { tokens_ = std::min(spec_.capacity, tokens_ + n); }

double TokenBucket::level(MonoTime now) {
  refill(now);
  return tokens_;
}

}  // namespace ramp::providers::aws
