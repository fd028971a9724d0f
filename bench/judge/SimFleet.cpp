#include "SimFleet.h"

#include <cmath>

namespace ramp::bench {

const std::vector<double>& SimFleet::bounds() {
  static const std::vector<double> b = [] {
    std::vector<double> v;
    for (double x = 0.1; x < 60000; x *= 1.05) v.push_back(x);
    v.push_back(60000);
    v.push_back(INFINITY);
    return v;
  }();
  return b;
}

SimFleet::SimFleet() : counts(bounds().size(), 0) {}

std::vector<double> SimFleet::bucketProbs(const ServiceProfile& p) {
  const auto& b = bounds();
  std::vector<double> out(b.size());
  double prev = 0;
  for (size_t i = 0; i < b.size(); ++i) {
    double cdf = std::isinf(b[i]) ? 1.0
                                  : 0.5 * std::erfc(-(std::log(b[i]) - std::log(p.medianMs)) / (p.sigma * std::sqrt(2.0)));
    out[i] = cdf - prev;
    prev = cdf;
  }
  return out;
}

void SimFleet::serve(std::mt19937_64& rng, double expected, const std::vector<double>& probs, double errorRate) {
  uint64_t n = 0;
  for (size_t i = 0; i < probs.size(); ++i) {
    double lambda = expected * probs[i];
    if (lambda < 1e-9) continue;
    uint64_t k = std::poisson_distribution<uint64_t>(lambda)(rng);
    counts[i] += k;
    n += k;
  }
  requests += n;
  if (errorRate > 0 && n > 0) errors += std::binomial_distribution<uint64_t>(n, errorRate)(rng);
}

analysis::Measurements SimFleet::measurements() const {
  return analysis::Measurements::ofFleet(requests, errors, bounds(), counts);
}

analysis::Measurements SimFleet::since(const SimFleet& start) const {
  std::vector<uint64_t> c(counts.size());
  for (size_t i = 0; i < c.size(); ++i) c[i] = counts[i] - start.counts[i];
  return analysis::Measurements::ofFleet(requests - start.requests, errors - start.errors, bounds(), std::move(c));
}

}  // namespace ramp::bench
