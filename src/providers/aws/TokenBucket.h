// TokenBucket.h — one client-side token bucket (capacity, refill per second).
//
// reserve() takes tokens at once, letting the level go below zero, and says
// how long the caller must wait before its reservation is covered by
// refill. Callers therefore queue in arrival order without holding a lock
// while they wait. Not thread-safe by itself (RateBudget locks around it).
#pragma once

#include "core/Clock.h"

namespace ramp::providers::aws {

struct BucketSpec {
  double capacity = 50;
  double refillPerSecond = 10;
};

class TokenBucket {
 public:
  TokenBucket(BucketSpec spec, MonoTime now);
  // Takes `n` tokens; returns the wait until the level is back at >= 0.
  Millis reserve(double n, MonoTime now);
  // Gives `n` tokens back (a reservation that was abandoned).
  void refund(double n);
  // The level after refilling up to `now` (may be negative).
  double level(MonoTime now);
  const BucketSpec& spec() const { return spec_; }

 private:
  void refill(MonoTime now);
  BucketSpec spec_;
  double tokens_;
  MonoTime last_;
};

}  // namespace ramp::providers::aws
