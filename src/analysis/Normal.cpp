#include "analysis/Normal.h"

#include <cmath>

namespace ramp::analysis {

double Normal::cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

double Normal::upperTail(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

double Normal::upperQuantile(double p) {
  if (!(p > 0)) return INFINITY;
  if (!(p < 1)) return -INFINITY;
  double lo = -40, hi = 40;  // upperTail is decreasing in z
  for (int i = 0; i < 200 && hi - lo > 1e-15; ++i) {
    double mid = 0.5 * (lo + hi);
    if (upperTail(mid) > p) lo = mid; else hi = mid;
  }
  return 0.5 * (lo + hi);
}

double Normal::twoSidedP(double z) {
  double p = 2.0 * upperTail(std::fabs(z));
  return p > 1.0 ? 1.0 : p;
}

}  // namespace ramp::analysis
