// MetricForecast.h — how many more canary requests one metric's test needs
// before it decides, if the rates measured so far continue.
//
// A forecast is an extrapolation, not a guarantee: each test projects its
// evidence (a likelihood ratio, or a confidence interval's width) forward at
// the current estimates and reports the extra canary requests (latency:
// canary samples, one per request) after which it would cross its pass or
// its fail threshold. Absent (nullopt): at the current estimates that
// threshold is never reached (e.g. no fail forecast for a canary that looks
// healthy). 0: already decided that way.
#pragma once

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

namespace ramp::analysis {

struct MetricForecast {
  std::optional<double> passRequests;  // more canary requests until a pass
  std::optional<double> failRequests;  // more canary requests until a fail

  // {"pass_requests": n | null, "fail_requests": n | null}, rounded up.
  nlohmann::json toJson() const;
  static MetricForecast fromJson(const nlohmann::json& j);

  // The smallest k >= 0 with f(k) >= target, for f convex in k (a log-sum
  // of exponentials of lines, as every projected log-likelihood ratio here
  // is): nullopt when f never gets there (checked up to 1e12).
  template <class F>
  static std::optional<double> firstCrossing(F f, double target);
};

template <class F>
std::optional<double> MetricForecast::firstCrossing(F f, double target) {
  if (f(0.0) >= target) return 0.0;
  double lo = 0, hi = 1;
  while (f(hi) < target) {
    lo = hi;
    hi *= 2;
    if (hi > 1e12) return std::nullopt;
  }
  for (int i = 0; i < 100 && hi - lo > 0.01; ++i) {  // a hundredth of a request
    double mid = (lo + hi) / 2;
    (f(mid) >= target ? hi : lo) = mid;
  }
  return hi;
}

}  // namespace ramp::analysis
