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

LatencyHistogram::LatencyHistogram() : counts_(new std::atomic<uint64_t>[bounds().size()]) {
  for (size_t i = 0; i < bounds().size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void LatencyHistogram::addTo(std::vector<uint64_t>& counts, uint64_t& total, double& sumMillis) const {
  const size_t n = bounds().size();
  counts.resize(n, 0);
  for (size_t i = 0; i < n; ++i) counts[i] += counts_[i].load(std::memory_order_relaxed);
  total += total_.load(std::memory_order_relaxed);
  sumMillis += sum_.load(std::memory_order_relaxed);
}

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
  // Single writer: plain read-modify-write without a locked instruction.
  auto bump = [](std::atomic<uint64_t>& c) { c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); };
  bump(counts_[idx]);
  bump(total_);
  sum_.store(sum_.load(std::memory_order_relaxed) + millis, std::memory_order_relaxed);
}

}  // namespace ramp::router
