#include "analysis/LatencyTest.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "analysis/LatencySample.h"
#include "analysis/MannWhitney.h"
#include "analysis/Normal.h"

namespace ramp::analysis {

namespace {

std::string ms(double v) {
  if (!std::isfinite(v)) return "n/a";
  return v >= 100 ? fmt::format("{:.0f} ms", v) : fmt::format("{:.3g} ms", v);
}

std::string ratio(double logRatio) {
  if (std::isinf(logRatio)) return logRatio > 0 ? "+inf" : "0";
  return fmt::format("x{:.3f}", std::exp(logRatio));
}

nlohmann::json finiteOrNull(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

}  // namespace

uint32_t LatencyTest::lookIndex(double m, const LatencyPolicy& p) {
  if (m < static_cast<double>(p.minSamples) || m <= 0) return 0;
  double k = std::floor(std::log(m / static_cast<double>(p.minSamples)) / std::log(p.lookGrowth) + 1e-12);
  return static_cast<uint32_t>(k) + 1;
}

double LatencyTest::lookConfidence(uint32_t k, const LatencyPolicy& p) {
  double kk = static_cast<double>(k);
  return 1 - (1 - p.confidence) / (kk * (kk + 1));
}

double LatencyTest::mixtureRho(const LatencyPolicy& p) {
  // Ternary search on log rho for the rho that makes the boundary tightest at
  // m* = mixture_samples (the boundary is unimodal in log rho). 100 rounds.
  const double a = 1 - p.confidence, mStar = p.mixtureSamples;
  auto z = [&](double logRho) {
    double rho = std::exp(logRho);
    return (1 + rho / mStar) * (std::log1p(mStar / rho) + 2 * std::log(1 / a));
  };
  double lo = std::log(mStar) - 12, hi = std::log(mStar) + 12;
  for (int i = 0; i < 100; ++i) {
    double m1 = lo + (hi - lo) / 3, m2 = hi - (hi - lo) / 3;
    if (z(m1) < z(m2)) hi = m2;
    else lo = m1;
  }
  return std::exp((lo + hi) / 2);
}

double LatencyTest::mixtureZ(double m, const LatencyPolicy& p) {
  const double rho = mixtureRho(p), a = 1 - p.confidence;
  return std::sqrt((1 + rho / m) * (std::log1p(m / rho) + 2 * std::log(1 / a)));
}

MetricForecast LatencyTest::forecast(double shift, double ciLow, double ciHigh, double tol, double m,
                                     Direction direction) {
  // The interval's half-widths shrink as 1/sqrt(samples) (both fleets grow
  // in proportion); k is the factor by which the samples must grow before a
  // bound crosses the tolerance at the current shift.
  MetricForecast f;
  if (!(std::isfinite(shift) && std::isfinite(ciLow) && std::isfinite(ciHigh)) || m <= 0) return f;
  const double up = std::max(0.0, ciHigh - shift), down = std::max(0.0, shift - ciLow);
  auto more = [&](double halfWidth, double room) -> std::optional<double> {
    if (room <= 0) return std::nullopt;  // the estimate itself is on the wrong side
    double k = (halfWidth / room) * (halfWidth / room);
    return m * std::max(0.0, k - 1);
  };
  // Regressions (fail) and the region that passes, by direction.
  auto passUp = more(up, tol - shift), passDown = more(down, shift + tol);
  auto failUp = more(down, shift - tol), failDown = more(up, -tol - shift);
  if (direction == Direction::kIncrease) {
    f.passRequests = passUp;
    f.failRequests = failUp;
  } else if (direction == Direction::kDecrease) {
    f.passRequests = passDown;
    f.failRequests = failDown;
  } else {
    if (passUp && passDown) f.passRequests = std::max(*passUp, *passDown);
    if (failUp || failDown) f.failRequests = std::min(failUp.value_or(INFINITY), failDown.value_or(INFINITY));
  }
  return f;
}

Result<LatencyState> LatencyState::fromJson(const nlohmann::json& j, const std::string& where) {
  LatencyState s;
  try {
    s.lastLook = j.at("last_look").get<uint32_t>();
    s.decision = j.at("decision").get<int>();
    s.latched = j.at("latched").get<int>();
    if (s.latched < 0 || s.latched > static_cast<int>(Classification::kInconclusive))
      return invalid(fmt::format("bad latency test state: class {}", s.latched), where);
  } catch (const nlohmann::json::exception& e) {
    return invalid(fmt::format("bad latency test state: {}", e.what()), where);
  }
  return s;
}

Result<LatencyTest::Outcome> LatencyTest::look(LatencyState st, const LatencyData& canaryData,
                                               const LatencyData& baselineData, const LatencyPolicy& policy,
                                               const MetricSpec& spec, bool sequential) {
  const std::string& name = spec.name;
  if (canaryData.hasHistogram() && baselineData.hasHistogram() && !canaryData.hasSamples() &&
      !baselineData.hasSamples() && canaryData.boundsMs != baselineData.boundsMs)
    return invalid("canary and baseline histograms have different bucket bounds", "baseline." + name + ".bounds");
  if ((canaryData.hasSamples() && !baselineData.hasSamples() && baselineData.hasHistogram()) ||
      (baselineData.hasSamples() && !canaryData.hasSamples() && canaryData.hasHistogram()))
    return invalid("one side has raw samples and the other a histogram; give both in the same form",
                   "baseline." + name);
  auto c = LatencySample::of(canaryData, "canary." + name, policy.outlierFactor);
  if (!c) return std::unexpected(c.error());
  auto b = LatencySample::of(baselineData, "baseline." + name, policy.outlierFactor);
  if (!b) return std::unexpected(b.error());

  auto res = MetricResult::of(spec, MetricKind::kLatency, spec.direction);
  const double m = c->count(), n = b->count();
  // The tolerance in log space: relative, but never below the absolute floor.
  const double baseMedian = b->medianMs();
  const double tol = std::max(std::log1p(policy.tolerance),
                              baseMedian > 0 && std::isfinite(baseMedian) ? std::log1p(policy.minShiftMs / baseMedian) : 0.0);
  res.stats = {{"test", "Mann-Whitney U, two-sided, tie and continuity corrected"},
               {"form", c->isHistogram() ? "histogram" : "samples"},
               {"canary", {{"n", m}, {"median_ms", finiteOrNull(c->medianMs())}, {"mean_ms", finiteOrNull(c->meanMs())},
                           {"p99_ms", finiteOrNull(c->quantileMs(0.99))}, {"nan_removed", c->nanRemoved()},
                           {"outliers_removed", c->outliersRemoved()}}},
               {"baseline", {{"n", n}, {"median_ms", finiteOrNull(b->medianMs())}, {"mean_ms", finiteOrNull(b->meanMs())},
                             {"p99_ms", finiteOrNull(b->quantileMs(0.99))}, {"nan_removed", b->nanRemoved()},
                             {"outliers_removed", b->outliersRemoved()}}},
               {"tolerance", policy.tolerance},
               {"min_shift_ms", policy.minShiftMs},
               {"effective_tolerance", std::expm1(tol)},
               {"min_samples", policy.minSamples}};
  std::string medians = fmt::format("latency median {} vs baseline {}", ms(c->medianMs()), ms(b->medianMs()));
  if (m < static_cast<double>(policy.minSamples) || n < static_cast<double>(policy.minSamples)) {
    res.classification = Classification::kNoData;
    res.reason = fmt::format("{}: {:.0f} vs {:.0f} samples, fewer than {} on the {} — no data", medians, m, n,
                             policy.minSamples, m < static_cast<double>(policy.minSamples) ? "canary" : "baseline");
    // Until min_samples nothing can be said; the forecast is the traffic
    // that gets there (a lower bound on the time to a decision).
    const double need = static_cast<double>(policy.minSamples);
    MetricForecast fc;
    if (m > 0 && n > 0) fc.passRequests = std::max({0.0, need - m, (need - n) * m / n});
    else if (n > 0) fc.passRequests = need;
    res.stats["forecast"] = fc.toJson();
    return Outcome{st, std::move(res)};
  }

  // Which look is this, at which confidence? One-shot: a single look at the
  // full confidence. Mixture boundary: every call is a look, at the
  // confidence of the boundary's z for this canary sample size. Spending: a
  // look only when the sample grew by look_growth, at alpha_k.
  const bool mixture = policy.boundary == LatencyBoundary::kMixture;
  uint32_t k = 1;
  bool isLook = true;
  double confidence = policy.confidence;
  double boundaryZ = NAN;
  if (sequential && mixture) {
    k = st.lastLook + 1;
    st.lastLook = k;
    boundaryZ = mixtureZ(m, policy);
    confidence = 1 - 2 * Normal::upperTail(boundaryZ);
  } else if (sequential) {
    k = lookIndex(m, policy);
    isLook = k > st.lastLook;
    confidence = lookConfidence(isLook ? k : std::max<uint32_t>(st.lastLook, 1), policy);
    if (isLook) st.lastLook = k;
  }

  auto mw = MannWhitney::test(*c, *b, confidence);
  res.stats["u"] = mw.u;
  res.stats["mean_u"] = mw.meanU;
  res.stats["sigma_u"] = mw.sigma;
  res.stats["z"] = mw.z;
  res.stats["p_value"] = mw.p;
  res.stats["cles"] = mw.cles;
  res.stats["shift_ratio"] = finiteOrNull(std::exp(mw.shiftLog));
  res.stats["shift_ms"] = finiteOrNull(b->medianMs() * (std::exp(mw.shiftLog) - 1));
  res.stats["ci_ratio"] = {finiteOrNull(std::exp(mw.ciLowLog)), finiteOrNull(std::exp(mw.ciHighLog))};
  res.stats["confidence"] = confidence;
  res.stats["look"] = k;
  res.stats["boundary"] = !sequential ? "one look" : mixture ? "normal mixture" : "alpha spending";
  if (std::isfinite(boundaryZ)) res.stats["boundary_z"] = boundaryZ;
  res.stats["is_look"] = isLook;
  res.stats["mean_ratio"] = finiteOrNull(b->meanMs() > 0 ? c->meanMs() / b->meanMs() : NAN);

  bool identical = mw.sigma == 0;
  Classification cls = Classification::kInconclusive;
  if (identical) {
    cls = Classification::kPass;
  } else if (mw.ciLowLog > tol) {
    cls = Classification::kHigh;
  } else if (mw.ciHighLog < -tol) {
    cls = Classification::kLow;
  } else {
    bool okUp = mw.ciHighLog < tol, okDown = mw.ciLowLog > -tol;
    bool inside = spec.direction == Direction::kIncrease ? okUp
                  : spec.direction == Direction::kDecrease ? okDown : (okUp && okDown);
    if (inside) cls = Classification::kPass;
  }
  MetricResult probe = res;
  probe.classification = cls;
  if (isLook) {
    if (probe.failure()) {
      st.decision = -1;
      st.latched = static_cast<int>(cls);
    } else if (probe.success() && st.decision == 0) {
      st.decision = +1;
      st.latched = static_cast<int>(cls);
    }
  }
  // A latched decision is what this metric says until a fail overturns a pass.
  cls = st.decision != 0 ? static_cast<Classification>(st.latched) : Classification::kInconclusive;
  res.classification = cls;
  MetricForecast fc = identical ? MetricForecast{0.0, std::nullopt} : forecast(mw.shiftLog, mw.ciLowLog, mw.ciHighLog, tol, m, spec.direction);
  if (res.failure()) fc = MetricForecast{std::nullopt, 0.0};
  else if (res.success()) fc.passRequests = 0.0;
  res.stats["forecast"] = fc.toJson();

  std::string stat = fmt::format("shift {} ({:.4g}% CI {}..{}), tolerance x{:.3f}; Mann-Whitney z {:.2f}, p {:.2g} (n {:.0f} vs {:.0f})",
                                 ratio(mw.shiftLog), 100 * confidence, ratio(mw.ciLowLog), ratio(mw.ciHighLog),
                                 std::exp(tol), mw.z, mw.p, m, n);
  switch (cls) {
    case Classification::kHigh: res.reason = fmt::format("{}: {} — canary slower", medians, stat); break;
    case Classification::kLow: res.reason = fmt::format("{}: {} — canary faster", medians, stat); break;
    case Classification::kPass:
      res.reason = identical ? fmt::format("{}: all values identical — pass", medians)
                             : fmt::format("{}: {} — within tolerance", medians, stat);
      break;
    default: res.reason = fmt::format("{}: {} — not enough evidence yet", medians, stat); break;
  }
  return Outcome{st, std::move(res)};
}

}  // namespace ramp::analysis
