// Normal.h — the standard normal distribution, as the judge needs it.
//
// cdf/upperTail via std::erfc (accurate far into the tails); quantile by
// bisection on upperTail (monotone, 200 halvings: exact to double precision),
// so no published rational approximation is copied. Pure functions.
#pragma once

namespace ramp::analysis {

class Normal {
 public:
  // P(Z <= z).
  static double cdf(double z);
  // P(Z > z), computed without cancellation for large z.
  static double upperTail(double z);
  // z with P(Z > z) = p, for p in (0, 1).
  static double upperQuantile(double p);
  // Two-sided p-value of z: P(|Z| >= |z|).
  static double twoSidedP(double z);
};

}  // namespace ramp::analysis
