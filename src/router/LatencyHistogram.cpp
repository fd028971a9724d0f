#include "router/LatencyHistogram.h"

#include <cmath>
#include <limits>

namespace ramp::router {

namespace {
constexpr double kFirst = 0.1;     // ms
constexpr double kGrowth = 1.05;
constexpr double kLast = 60000.0;  // ms

std::vector<double> makeBounds() {
  std::vector<double> b;
  double v = kFirst;
  while (v < kLast) {
    b.push_back(v);
    v *= kGrowth;
  }
  b.push_back(kLast);
  b.push_back(std::numeric_limits<double>::infinity());
  return b;
}
}  // namespace

const std::vector<double>& LatencyHistogram::bounds() {
  static const std::vector<double> b = makeBounds();
  return b;
}

LatencyHistogram::LatencyHistogram() : counts_(bounds().size(), 0) {}

void LatencyHistogram::record(double millis) {
  const auto& b = bounds();
  size_t idx;
  if (!(millis > kFirst)) {
    idx = 0;
  } else if (millis > kLast) {
    idx = b.size() - 1;
  } else {
    // Smallest k with kFirst * kGrowth^k >= millis, corrected for rounding.
    double k = std::ceil(std::log(millis / kFirst) / std::log(kGrowth) - 1e-9);
    idx = static_cast<size_t>(k);
    if (idx >= b.size() - 1) idx = b.size() - 2;
    while (idx > 0 && b[idx - 1] >= millis) --idx;
    while (idx < b.size() - 1 && b[idx] < millis) ++idx;
  }
  ++counts_[idx];
  ++total_;
  sum_ += millis;
}

}  // namespace ramp::router
