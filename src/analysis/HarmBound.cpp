#include "analysis/HarmBound.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace ramp::analysis {

namespace {

// log P(Binomial(n, p) <= k): the terms t_i = C(n,i) p^i (1-p)^(n-i) from
// i = k downwards, relative to t_k (t_{i-1} = t_i · i/(n-i+1) · (1-p)/p, one
// multiplication each, rescaled before they overflow); once below the mode
// the terms only fall, and the sum stops when they are 1e-22 of it (the rest
// is below that times a geometric series: negligible). O(sqrt(n)) terms near
// the mode, k + 1 at most.
double logBinomialCdf(uint64_t k, uint64_t n, double p) {
  if (p <= 0 || k >= n) return 0;
  if (p >= 1) return -INFINITY;
  const double dn = static_cast<double>(n), dk = static_cast<double>(k);
  const double logTk =
      std::lgamma(dn + 1) - std::lgamma(dk + 1) - std::lgamma(dn - dk + 1) + dk * std::log(p) + (dn - dk) * std::log1p(-p);
  const double qOverP = (1 - p) / p, mode = dn * p;
  double term = 1, sum = 1, logScale = 0;  // t_i = term · e^(logTk + logScale)
  for (uint64_t i = k; i > 0; --i) {
    const double di = static_cast<double>(i);
    term *= di / (dn - di + 1) * qOverP;
    sum += term;
    if (term > 1e200) {
      logScale += std::log(term);
      sum /= term;
      term = 1;
    }
    if (di - 1 < mode && term < 1e-22 * sum) break;
  }
  return logTk + logScale + std::log(sum);
}

// Whole values of a sample's count (weights are counts of requests).
uint64_t countOf(const LatencySample& s) { return static_cast<uint64_t>(std::llround(s.count())); }

std::string ms(double v) {
  if (!std::isfinite(v)) return v > 0 ? "+inf ms" : "n/a";
  return v >= 100 ? fmt::format("{:.0f} ms", v) : fmt::format("{:.3g} ms", v);
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

uint64_t HarmBound::upperRank(uint64_t n, double q, double a) {
  // P(Bin(n, q) <= k - 1) rises with k: the first k where it reaches 1 - a.
  const double target = std::log1p(-a);
  if (n == 0 || logBinomialCdf(n - 1, n, q) < target) return n + 1;
  uint64_t lo = 1, hi = n;  // invariant: the answer is in [lo, hi]
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (logBinomialCdf(mid - 1, n, q) >= target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

uint64_t HarmBound::lowerRank(uint64_t n, double q, double a) {
  // P(Bin(n, q) <= j - 1) rises with j: the last j where it is still <= a.
  const double target = std::log(a);
  if (n == 0 || logBinomialCdf(0, n, q) > target) return 0;
  uint64_t lo = 1, hi = n;  // invariant: the answer is in [lo, hi]
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo + 1) / 2;
    if (logBinomialCdf(mid - 1, n, q) <= target) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

double HarmBound::quantileUpperMs(const LatencySample& s, double q, double a) {
  const uint64_t n = countOf(s), k = upperRank(n, q, a);
  if (k > n) return std::numeric_limits<double>::infinity();
  return s.orderStatisticMs(static_cast<double>(k)).second;
}

double HarmBound::quantileLowerMs(const LatencySample& s, double q, double a) {
  const uint64_t n = countOf(s), j = lowerRank(n, q, a);
  if (j == 0) return 0;
  return s.orderStatisticMs(static_cast<double>(j)).first;
}

LatencyHarm HarmBound::latency(const LatencySample& canary, const LatencySample& baseline, const LatencyPolicy& p,
                               Direction direction, double level) {
  LatencyHarm h;
  h.applies = p.deadlineTolerance > 0;
  h.level = level;
  h.limitRatio = 1 + p.deadlineTolerance;
  h.minShiftMs = p.minShiftMs;
  h.direction = direction;
  h.enoughSamples = countOf(canary) >= p.minSamples && countOf(baseline) >= p.minSamples && countOf(canary) > 0 &&
                    countOf(baseline) > 0;
  if (!h.applies || !h.enoughSamples) return h;
  const double q = LatencyHarm::kQuantile;
  bool up = true, down = true;
  if (direction != Direction::kDecrease) {
    h.canaryUpperMs = quantileUpperMs(canary, q, level);
    h.baselineLowerMs = quantileLowerMs(baseline, q, level);
    h.limitUpMs = std::max(h.baselineLowerMs * h.limitRatio, h.baselineLowerMs + h.minShiftMs);
    up = h.canaryUpperMs < h.limitUpMs;
  }
  if (direction != Direction::kIncrease) {
    h.canaryLowerMs = quantileLowerMs(canary, q, level);
    h.baselineUpperMs = quantileUpperMs(baseline, q, level);
    h.limitDownMs = std::min(h.baselineUpperMs / h.limitRatio, h.baselineUpperMs - h.minShiftMs);
    down = h.canaryLowerMs > h.limitDownMs;
  }
  h.pass = up && down;
  return h;
}

nlohmann::json LatencyHarm::toJson() const {
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  nlohmann::json j = {{"rule", "bounded harm"},
                      {"quantile", kQuantile},
                      {"pass", pass},
                      {"enough_samples", enoughSamples},
                      {"level", level},
                      {"confidence", 1 - level},
                      {"limit_ratio", limitRatio},
                      {"min_shift_ms", minShiftMs}};
  if (direction != Direction::kDecrease) {
    j["canary_upper_ms"] = num(canaryUpperMs);
    j["baseline_lower_ms"] = num(baselineLowerMs);
    j["limit_ms"] = num(limitUpMs);
  }
  if (direction != Direction::kIncrease) {
    j["canary_lower_ms"] = num(canaryLowerMs);
    j["baseline_upper_ms"] = num(baselineUpperMs);
    j["limit_low_ms"] = num(limitDownMs);
  }
  return j;
}

std::string LatencyHarm::sentence() const {
  if (!enoughSamples) return "too few samples to bound the harm";
  const double conf = 100 * (1 - level);
  std::string s;
  if (direction != Direction::kDecrease)
    s = fmt::format("canary median at most {} vs limit {} (baseline median at least {}, x{:.3g} or +{})",
                    ms(canaryUpperMs), ms(limitUpMs), ms(baselineLowerMs), limitRatio, ms(minShiftMs));
  if (direction != Direction::kIncrease)
    s += fmt::format("{}canary median at least {} vs limit {} (baseline median at most {}, /{:.3g} or -{})",
                     s.empty() ? "" : "; ", ms(canaryLowerMs), ms(limitDownMs), ms(baselineUpperMs), limitRatio,
                     ms(minShiftMs));
  return fmt::format("{} ({:.4g}% bounds each)", s, conf);
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
