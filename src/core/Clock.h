// Clock.h — time, injected.
//
// Nothing in ramp reads the wall clock directly: components take a Clock&.
// Production code uses SystemClock; tests use ManualClock and advance it, so
// no test sleeps to make time pass. Deadlines that must survive a restart
// are stored as absolute wall-clock times (now()), durations in between are
// measured on the monotonic clock (monotonic()).
#pragma once

#include <chrono>
#include <mutex>

namespace ramp {

using WallTime = std::chrono::system_clock::time_point;
using MonoTime = std::chrono::steady_clock::time_point;
using Millis = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time: what is stored and shown.
  virtual WallTime now() const = 0;
  // Monotonic time: what intervals and timeouts are measured with.
  virtual MonoTime monotonic() const = 0;
};

class SystemClock final : public Clock {
 public:
  WallTime now() const override { return std::chrono::system_clock::now(); }
  MonoTime monotonic() const override { return std::chrono::steady_clock::now(); }
  // The process-wide instance.
  static SystemClock& instance();
};

// A clock that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(WallTime start = WallTime(std::chrono::seconds(1'700'000'000)))
      : wall_(start), mono_(MonoTime(std::chrono::seconds(1))) {}
  WallTime now() const override {
    std::lock_guard lock(mu_);
    return wall_;
  }
  MonoTime monotonic() const override {
    std::lock_guard lock(mu_);
    return mono_;
  }
  void advance(std::chrono::nanoseconds d) {
    std::lock_guard lock(mu_);
    wall_ += std::chrono::duration_cast<WallTime::duration>(d);
    mono_ += std::chrono::duration_cast<MonoTime::duration>(d);
  }

 private:
  mutable std::mutex mu_;
  WallTime wall_;
  MonoTime mono_;
};

// RFC 3339 UTC with milliseconds: 2026-11-26T08:17:37.123Z
std::string formatTime(WallTime t);
// Milliseconds since the Unix epoch (what the store keeps).
int64_t toUnixMillis(WallTime t);
WallTime fromUnixMillis(int64_t ms);

}  // namespace ramp
