#include "engine/Failpoint.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "core/ArmedFailpoints.h"

namespace ramp::engine {

namespace {

struct FailpointConfig {
  std::vector<std::string> points;  // "phase:when"
  uint64_t randomAt = 0;            // 0 = no random point
  std::atomic<uint64_t> passed{0};
  bool any = false;
};

FailpointConfig& config() {
  static FailpointConfig* cfg = [] {
    auto* c = new FailpointConfig;  // never destroyed: usable until the very end
    c->points = armedFailpoints();
    for (auto& p : c->points) std::fprintf(stderr, "failpoint: armed %s\n", p.c_str());
    if (const char* v = std::getenv("RAMP_FAILPOINT_RANDOM"); v && *v) {
      std::string s(v);
      auto colon = s.find(':');
      uint64_t seed = 0, n = 0;
      try {
        seed = std::stoull(s.substr(0, colon));
        n = colon == std::string::npos ? 0 : std::stoull(s.substr(colon + 1));
      } catch (...) {
        n = 0;
      }
      if (n == 0) {
        std::fprintf(stderr, "failpoint: ignoring RAMP_FAILPOINT_RANDOM='%s' (expected SEED:N, N >= 1)\n", v);
      } else {
        std::mt19937_64 rng(seed);
        c->randomAt = 1 + rng() % n;
        std::fprintf(stderr, "failpoint: RAMP_FAILPOINT_RANDOM seed %llu: kill at side effect %llu of %llu\n",
                     static_cast<unsigned long long>(seed), static_cast<unsigned long long>(c->randomAt),
                     static_cast<unsigned long long>(n));
      }
    }
    c->any = !c->points.empty() || c->randomAt != 0;
    return c;
  }();
  return *cfg;
}

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "failpoint: %s: SIGKILL (pid %d)\n", why.c_str(), static_cast<int>(getpid()));
  std::fflush(stderr);
  raise(SIGKILL);
  _exit(137);  // not reached
}

}  // namespace

bool failpointsConfigured() { return config().any; }

void failpoint(std::string_view phase, std::string_view when) {
  auto& c = config();
  if (c.points.empty()) return;
  std::string key = std::string(phase) + ":" + std::string(when);
  for (auto& p : c.points) {
    if (p == key) die(key);
    if (p == key + ":stop") {
      // Freeze here once (SIGSTOP), as a long pause (GC, swap, a stalled VM)
      // would: the test lets another controller take over, then SIGCONTs us.
      p += ":done";
      std::fprintf(stderr, "failpoint: %s: SIGSTOP (pid %d)\n", key.c_str(), static_cast<int>(getpid()));
      std::fflush(stderr);
      raise(SIGSTOP);
      std::fprintf(stderr, "failpoint: %s: continued\n", key.c_str());
    }
  }
}

void failpointSideEffect(std::string_view what) {
  auto& c = config();
  if (c.randomAt == 0) return;
  uint64_t n = ++c.passed;
  if (n == c.randomAt) die("random point " + std::to_string(n) + " (" + std::string(what) + ")");
}

}  // namespace ramp::engine
