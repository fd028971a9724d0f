#include "providers/aws/ReadSchedule.h"

#include "core/Fnv1a.h"

#include <cstdlib>

#include "core/Duration.h"

namespace ramp::providers::aws {
namespace {

std::chrono::milliseconds durationFromEnv(const char* name, std::chrono::milliseconds fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  auto d = parseDuration(v);
  return d ? *d : fallback;
}

}  // namespace

ReadSchedule::Periods ReadSchedule::fromEnvironment() {
  Periods p;
  p.busy = durationFromEnv("RAMP_AWS_BUSY_READ", p.busy);
  p.steady = durationFromEnv("RAMP_AWS_STEADY_READ", p.steady);
  return p;
}

ReadSchedule::ReadSchedule(Clock& clock, Periods periods) : clock_(clock), periods_(periods) {}

std::chrono::milliseconds ReadSchedule::steadyPeriodOf(const std::string& key) const {
  // A fixed offset per key in [-jitter, +jitter] of the period.
  double unit = static_cast<double>(fnv1a(key) % 2001) / 1000.0 - 1.0;  // -1 .. 1
  double ms = static_cast<double>(periods_.steady.count()) * (1.0 + periods_.jitter * unit);
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

bool ReadSchedule::due(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = dueAt_.find(key);
  return it == dueAt_.end() || clock_.monotonic() >= it->second;
}

void ReadSchedule::read(const std::string& key, bool steady) {
  auto wait = steady ? steadyPeriodOf(key) : periods_.busy;
  std::lock_guard lock(mu_);
  dueAt_[key] = clock_.monotonic() + wait;
}

void ReadSchedule::changed(const std::string& key) { forget(key); }

void ReadSchedule::forget(const std::string& key) {
  std::lock_guard lock(mu_);
  dueAt_.erase(key);
}

void ReadSchedule::forgetAll() {
  std::lock_guard lock(mu_);
  dueAt_.clear();
}

}  // namespace ramp::providers::aws
