#include "analysis/MannWhitney.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "analysis/Normal.h"

namespace ramp::analysis {

namespace {

constexpr double kTieEps = 1e-9;

// P(A > B) + P(A = B)/2 for A, B spread uniformly around their centres, as a
// function of the centre difference d and the combined half-width h (the sum
// of the two half-widths): the difference of two uniforms, approximated by
// the triangular distribution on [-h, h].
double pairProbability(double d, double h) {
  if (h <= kTieEps) {
    if (d > kTieEps) return 1.0;
    if (d < -kTieEps) return 0.0;
    return 0.5;
  }
  double t = d / h;
  if (t <= -1) return 0.0;
  if (t >= 1) return 1.0;
  if (t <= 0) return (1 + t) * (1 + t) / 2;
  return 1 - (1 - t) * (1 - t) / 2;
}

}  // namespace

double MannWhitney::uShifted(const LatencySample& canary, const LatencySample& baseline,
                             double s) {
  const auto& ys = baseline.atoms();
  // prefix[j] = total baseline weight of atoms [0, j)
  std::vector<double> prefix(ys.size() + 1, 0.0);
  for (size_t j = 0; j < ys.size(); ++j) prefix[j + 1] = prefix[j] + ys[j].weight;
  const double reach = canary.maxHalfWidth() + baseline.maxHalfWidth() + kTieEps;
  double u = 0;
  for (const auto& a : canary.atoms()) {
    double p = a.x - s;
    auto lo = std::lower_bound(ys.begin(), ys.end(), p - reach,
                               [](const LatencySample::Atom& y, double v) { return y.x < v; });
    auto hi = std::upper_bound(ys.begin(), ys.end(), p + reach,
                               [](double v, const LatencySample::Atom& y) { return v < y.x; });
    double below = prefix[static_cast<size_t>(lo - ys.begin())];
    double near = 0;
    for (auto it = lo; it != hi; ++it) near += it->weight * pairProbability(p - it->x, a.halfWidth + it->halfWidth);
    u += a.weight * (below + near);
  }
  return u;
}

double MannWhitney::sigma(const LatencySample& canary, const LatencySample& baseline) {
  const double m = canary.count(), n = baseline.count(), N = m + n;
  if (m <= 0 || n <= 0 || N < 2) return 0;
  // Pooled tie groups: merge the two sorted atom lists by value.
  const auto& a = canary.atoms();
  const auto& b = baseline.atoms();
  size_t i = 0, j = 0;
  double tieSum = 0;
  while (i < a.size() || j < b.size()) {
    double x;
    if (j >= b.size() || (i < a.size() && a[i].x <= b[j].x)) x = a[i].x; else x = b[j].x;
    double t = 0;
    while (i < a.size() && std::fabs(a[i].x - x) <= kTieEps) t += a[i++].weight;
    while (j < b.size() && std::fabs(b[j].x - x) <= kTieEps) t += b[j++].weight;
    tieSum += t * t * t - t;
  }
  double var = m * n / 12.0 * ((N + 1) - tieSum / (N * (N - 1)));
  return var > 0 ? std::sqrt(var) : 0;
}

MannWhitneyResult MannWhitney::test(const LatencySample& canary, const LatencySample& baseline,
                                    double confidence) {
  assert(canary.count() > 0 && baseline.count() > 0);
  MannWhitneyResult r;
  r.m = canary.count();
  r.n = baseline.count();
  r.meanU = r.m * r.n / 2;
  r.u = uShifted(canary, baseline, 0);
  r.sigma = sigma(canary, baseline);
  r.cles = r.u / (r.m * r.n);
  double dev = r.u - r.meanU;
  double corrected = std::fabs(dev) <= 0.5 ? 0.0 : dev - std::copysign(0.5, dev);
  r.z = r.sigma > 0 ? corrected / r.sigma : 0.0;
  r.p = r.sigma > 0 ? Normal::twoSidedP(r.z) : 1.0;
  r.confidence = confidence;

  // Bracket for s: below sLo every canary atom is above every baseline atom
  // (U = m*n); above sHi every one is below (U = 0).
  const auto& ca = canary.atoms();
  const auto& ba = baseline.atoms();
  double spread = canary.maxHalfWidth() + baseline.maxHalfWidth() + 1.0;
  double sLo = ca.front().x - ba.back().x - spread;
  double sHi = ca.back().x - ba.front().x + spread;
  // f(s) = U(s) is non-increasing. sup{s : U(s) >= target} and
  // inf{s : U(s) <= target}; they differ only on a plateau of U.
  auto solve = [&](double target, bool sup) -> double {
    if (uShifted(canary, baseline, sLo) < target) return -INFINITY;
    if (uShifted(canary, baseline, sHi) > target) return INFINITY;
    double lo = sLo, hi = sHi;
    for (int it = 0; it < 60 && hi - lo > 1e-7; ++it) {
      double mid = 0.5 * (lo + hi);
      double u = uShifted(canary, baseline, mid);
      bool goRight = sup ? (u >= target) : (u > target);
      if (goRight) lo = mid; else hi = mid;
    }
    return 0.5 * (lo + hi);
  };
  double z = Normal::upperQuantile((1 - confidence) / 2);
  // Hodges–Lehmann: the middle of the plateau where U = m*n/2 (the median of
  // the pairwise differences; the mean of the two middle ones when m*n is even).
  r.shiftLog = 0.5 * (solve(r.meanU, true) + solve(r.meanU, false));
  r.ciLowLog = solve(r.meanU + 0.5 + z * r.sigma, true);
  r.ciHighLog = solve(r.meanU - 0.5 - z * r.sigma, false);
  if (r.sigma == 0) {  // all values tied: no spread to test
    r.ciLowLog = -INFINITY;
    r.ciHighLog = INFINITY;
  }
  return r;
}

}  // namespace ramp::analysis
