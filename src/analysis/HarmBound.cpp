#include "analysis/HarmBound.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace ramp::analysis {

namespace {

// log P(Binomial(n, p) <= k), summed in log space (k + 1 terms).
double logBinomialCdf(uint64_t k, uint64_t n, double p) {
  if (p <= 0) return 0;
  if (p >= 1) return k >= n ? 0 : -INFINITY;
  const double dn = static_cast<double>(n);
  const double lp = std::log(p), lq = std::log1p(-p);
  const double lgn = std::lgamma(dn + 1);
  double mx = -INFINITY, sum = 0;
  // Terms rise up to the mode and fall after it; sum them with a running max.
  for (uint64_t i = 0; i <= k; ++i) {
    const double di = static_cast<double>(i);
    const double t = lgn - std::lgamma(di + 1) - std::lgamma(dn - di + 1) + di * lp + (dn - di) * lq;
    if (t > mx) {
      sum = sum * std::exp(mx - t) + 1;
      mx = t;
    } else {
      sum += std::exp(t - mx);
    }
  }
  return mx + std::log(sum);
}

std::string pct(double rate) { return fmt::format("{:.2f}%", 100 * rate); }

}  // namespace

double HarmBound::binomialUpper(uint64_t k, uint64_t n, double a) {
  if (k >= n) return 1;
  const double la = std::log(a);
  // The CDF at k falls from 1 (p = 0) to 0 (p = 1); at p = k/n it is >= ~1/2 > a.
  double lo = static_cast<double>(k) / static_cast<double>(n), hi = 1;
  for (int i = 0; i < 200 && hi - lo > 1e-12; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (logBinomialCdf(k, n, mid) > la) lo = mid;
    else hi = mid;
  }
  return hi;
}

double HarmBound::ratioUpper(const ErrorCounts& canary, const ErrorCounts& baseline, double a) {
  const uint64_t e = canary.errors + baseline.errors;
  if (e == 0 || canary.requests == 0 || baseline.requests == 0) return std::numeric_limits<double>::infinity();
  const double t = binomialUpper(canary.errors, e, a);
  if (t >= 1) return std::numeric_limits<double>::infinity();
  return t / (1 - t) * static_cast<double>(baseline.requests) / static_cast<double>(canary.requests);
}

ErrorRateHarm HarmBound::errorRate(const ErrorCounts& canary, const ErrorCounts& baseline, const ErrorRatePolicy& p) {
  ErrorRateHarm h;
  h.applies = p.tolerance > 0;
  h.limitRatio = 1 + p.tolerance;
  h.objective = p.objective;
  h.level = p.deadlineLevel();
  h.baselineRate = baseline.requests ? double(baseline.errors) / double(baseline.requests) : 0;
  h.enoughTraffic = canary.requests >= p.minRequests && baseline.requests >= p.minRequests && canary.requests > 0 &&
                    baseline.requests > 0;
  if (!h.applies || !h.enoughTraffic) return h;
  const double nc = static_cast<double>(canary.requests), nb = static_cast<double>(baseline.requests);
  const double rc = static_cast<double>(canary.errors) / nc;
  // A route whose estimate is already past its limit cannot pass: skip its bound.
  const bool ratioPossible = canary.errors + baseline.errors > 0 &&
                             static_cast<double>(canary.errors) * nb <
                                 h.limitRatio * static_cast<double>(baseline.errors) * nc;
  if (ratioPossible) h.ratioUpper = ratioUpper(canary, baseline, h.level);
  if (p.objective > 0 && rc < p.objective) h.rateUpper = binomialUpper(canary.errors, canary.requests, h.level);
  if (h.ratioUpper < h.limitRatio) h.pass = true, h.route = "ratio";
  else if (p.objective > 0 && h.rateUpper < p.objective) h.pass = true, h.route = "objective";
  return h;
}

nlohmann::json ErrorRateHarm::toJson() const {
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return {{"rule", "bounded harm"},
          {"pass", pass},
          {"route", route.empty() ? nlohmann::json(nullptr) : nlohmann::json(route)},
          {"enough_traffic", enoughTraffic},
          {"level", level},
          {"confidence", 1 - level},
          {"limit_ratio", limitRatio},
          {"limit_rate", num(std::max(limitRatio * baselineRate, objective))},
          {"objective", objective},
          {"ratio_upper", num(ratioUpper)},
          {"rate_upper", num(rateUpper)}};
}

std::string ErrorRateHarm::sentence() const {
  const double conf = 100 * (1 - level);
  if (!enoughTraffic) return "too few requests to bound the harm";
  const std::string ratio = std::isfinite(ratioUpper) ? fmt::format("×{:.2f}", ratioUpper) : std::string("unbounded");
  std::string s = fmt::format("upper bounds ({:.1f}% each): ratio to the baseline {} (limit ×{:.3g})", conf, ratio,
                              limitRatio);
  if (objective > 0)
    s += std::isnan(rateUpper) ? fmt::format(", rate above the objective of {}", pct(objective))
                               : fmt::format(", rate {} (objective {})", pct(rateUpper), pct(objective));
  return s;
}

}  // namespace ramp::analysis
