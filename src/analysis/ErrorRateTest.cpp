#include "analysis/ErrorRateTest.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include <fmt/format.h>

namespace ramp::analysis {

namespace {

std::string pct(double rate) { return fmt::format("{:.2f}%", 100 * rate); }

double logSumExpMean(const std::vector<double>& v) {
  double mx = -INFINITY;
  for (double x : v) mx = std::max(mx, x);
  if (!std::isfinite(mx)) return mx;
  double s = 0;
  for (double x : v) s += std::exp(x - mx);
  return mx + std::log(s / static_cast<double>(v.size()));
}

// A likelihood ratio for a sentence: "312", "4.1e+05", "0.021".
std::string lr(double logLr) {
  double v = std::exp(logLr);
  if (v >= 1e5 || (v > 0 && v < 1e-3)) return fmt::format("{:.2g}", v);
  if (v >= 100) return fmt::format("{:.0f}", v);
  return fmt::format("{:.3g}", v);
}

}  // namespace

double ErrorRateTest::plugInRatio(const ErrorCounts& canary, const ErrorCounts& baseline, const ErrorRatePolicy& p) {
  const std::vector<double> grid = p.grid();
  const double hi = std::max(p.minIncrease, grid.empty() ? p.minIncrease : *std::max_element(grid.begin(), grid.end()));
  if (canary.requests == 0 || baseline.requests == 0) return std::min(hi, 2 * p.minIncrease);
  double r = ((static_cast<double>(canary.errors) + 0.5) / static_cast<double>(canary.requests)) /
             ((static_cast<double>(baseline.errors) + 0.5) / static_cast<double>(baseline.requests));
  return std::clamp(r, p.minIncrease, hi);
}

double ErrorRateTest::floorRate(const ErrorCounts& canary, const ErrorRatePolicy& p) {
  const double d = p.objective;
  if (canary.requests == 0) return d / 4;
  double q = (static_cast<double>(canary.errors) + 0.5) / (static_cast<double>(canary.requests) + 1);
  return std::clamp(q, d / 1000, d / 4);
}

double ErrorRateTest::intervalLogLr(double r0, double r1, const ErrorCounts& c, const ErrorCounts& b) {
  if (c.requests == 0 || b.requests == 0 || c.errors + b.errors == 0) return 0;
  double nc = static_cast<double>(c.requests), nb = static_cast<double>(b.requests);
  double t0 = r0 * nc / (r0 * nc + nb), t1 = r1 * nc / (r1 * nc + nb);
  return static_cast<double>(c.errors) * std::log(t1 / t0) +
         static_cast<double>(b.errors) * std::log((1 - t1) / (1 - t0));
}

double ErrorRateTest::passWeight(const ErrorRatePolicy& p) { return p.objective > 0 ? kPassWeight : 1.0; }

double ErrorRateTest::logPassEvidence(double logLrPass, double logLrFloor, double w) {
  if (w >= 1) return logLrPass;
  const double a = std::log(w) + logLrPass, b = std::log1p(-w) + logLrFloor;
  const double mx = std::max(a, b);
  return mx + std::log(std::exp(a - mx) + std::exp(b - mx));
}

MetricForecast ErrorRateTest::forecast(const ErrorRateState& st, const ErrorRatePolicy& p) {
  MetricForecast f;
  const ErrorCounts& c = st.canarySeen;
  const ErrorCounts& b = st.baselineSeen;
  if (st.decision > 0) f.passRequests = 0;
  if (st.decision < 0) f.failRequests = 0;
  if (c.requests == 0 || b.requests == 0 || st.decision < 0) return f;
  const double nc = static_cast<double>(c.requests), nb = static_cast<double>(b.requests);
  // The rates to extrapolate ("at the current rate": the observed ones) and
  // the traffic split seen so far.
  const double pc = static_cast<double>(c.errors) / nc, pb = static_cast<double>(b.errors) / nb;
  auto theta = [&](double r) { return r * nc / (r * nc + nb); };
  // Expected log-likelihood ratio of r1 against r0 per canary request.
  auto drift = [&](double r1, double r0) {
    const double t1 = theta(r1), t0 = theta(r0);
    return pc * std::log(t1 / t0) + pb * (nb / nc) * std::log((1 - t1) / (1 - t0));
  };
  // Traffic still missing before a pass is allowed (the baseline grows nb/nc per canary request).
  const double minReq = static_cast<double>(p.minRequests);
  const double traffic = std::max({0.0, minReq - nc, (minReq - nb) * nc / nb});
  if (st.decision == 0) {
    const double w = passWeight(p);
    const double dPass = drift(1.0, p.minIncrease);
    double dFloor = 0;
    if (p.objective > 0) {
      const double q = floorRate(c, p), d = p.objective;
      dFloor = pc * std::log(q / d) + (1 - pc) * std::log((1 - q) / (1 - d));
    }
    auto evidence = [&](double k) { return logPassEvidence(st.logLrPass + k * dPass, st.logLrFloor + k * dFloor, w); };
    if (auto k = MetricForecast::firstCrossing(evidence, std::log(1 / p.sequentialBeta()))) f.passRequests = std::max(*k, traffic);
  }
  // A fail needs the canary's rate above min_error_rate and above the baseline's.
  if (pc >= p.minErrorRate && pc > pb) {
    std::function<double(double)> evidence;
    if (p.method == ErrorRateMethod::kPlugIn) {
      const double r = plugInRatio(c, b, p), d = drift(r, 1.0);
      evidence = [&st, d](double k) { return st.logLrPlugIn + k * d; };
    } else {
      const std::vector<double> grid = p.grid();
      std::vector<double> d;
      for (double r : grid) d.push_back(drift(r, 1.0));
      evidence = [&st, d](double k) {
        std::vector<double> v(d.size());
        for (size_t j = 0; j < d.size(); ++j) v[j] = (j < st.logLrAlt.size() ? st.logLrAlt[j] : 0.0) + k * d[j];
        return logSumExpMean(v);
      };
    }
    f.failRequests = MetricForecast::firstCrossing(evidence, std::log(1 / p.alpha));
  }
  return f;
}

Result<ErrorRateTest::Outcome> ErrorRateTest::look(ErrorRateState st, const ErrorCounts& canary,
                                                   const ErrorCounts& baseline,
                                                   const ErrorRatePolicy& policy,
                                                   const MetricSpec& spec) {
  const std::string& name = spec.name;
  for (auto [side, cnt] : {std::pair{"canary", canary}, std::pair{"baseline", baseline}}) {
    if (cnt.errors > cnt.requests)
      return invalid(fmt::format("{} errors out of {} requests", cnt.errors, cnt.requests),
                     fmt::format("{}.{}.errors", side, name));
  }
  if (canary.requests < st.canarySeen.requests || canary.errors < st.canarySeen.errors)
    return invalid(fmt::format("cumulative counts went backwards ({}/{} after {}/{})", canary.errors,
                               canary.requests, st.canarySeen.errors, st.canarySeen.requests),
                   fmt::format("canary.{}", name));
  if (baseline.requests < st.baselineSeen.requests || baseline.errors < st.baselineSeen.errors)
    return invalid(fmt::format("cumulative counts went backwards ({}/{} after {}/{})", baseline.errors,
                               baseline.requests, st.baselineSeen.errors, st.baselineSeen.requests),
                   fmt::format("baseline.{}", name));

  const std::vector<double> grid = policy.grid();
  if (st.logLrAlt.size() != grid.size()) st.logLrAlt.assign(grid.size(), 0.0);
  ErrorCounts dc{canary.requests - st.canarySeen.requests, canary.errors - st.canarySeen.errors};
  ErrorCounts db{baseline.requests - st.baselineSeen.requests, baseline.errors - st.baselineSeen.errors};
  // The plug-in alternative comes from the data before this look only.
  const double rPlugIn = plugInRatio(st.canarySeen, st.baselineSeen, policy);
  const double qFloor = floorRate(st.canarySeen, policy);
  for (size_t k = 0; k < grid.size(); ++k) st.logLrAlt[k] += intervalLogLr(1.0, grid[k], dc, db);
  st.logLrPlugIn += intervalLogLr(1.0, rPlugIn, dc, db);
  st.logLrPass += intervalLogLr(policy.minIncrease, 1.0, dc, db);
  if (policy.objective > 0 && dc.requests > 0) {
    double d = policy.objective;
    st.logLrFloor += static_cast<double>(dc.errors) * std::log(qFloor / d) +
                     static_cast<double>(dc.requests - dc.errors) * std::log((1 - qFloor) / (1 - d));
  }
  st.canarySeen = canary;
  st.baselineSeen = baseline;
  st.looks += 1;

  const bool plugIn = policy.method == ErrorRateMethod::kPlugIn;
  const double logMixture = logSumExpMean(st.logLrAlt);
  const double logFail = plugIn ? st.logLrPlugIn : logMixture;
  const double failAt = std::log(1 / policy.alpha);
  // The two pass routes combined as one e-value: w LR_pass + (1-w) LR_floor.
  const double w = passWeight(policy);
  const double logPassE = logPassEvidence(st.logLrPass, st.logLrFloor, w);
  const double passAt = std::log(1 / policy.sequentialBeta());
  const double rc = canary.requests ? double(canary.errors) / double(canary.requests) : 0;
  const double rb = baseline.requests ? double(baseline.errors) / double(baseline.requests) : 0;
  // The objective route judges the canary alone: once its own share of the
  // evidence, (1 - w) LR_floor, passes by itself, a thin baseline (a router
  // restart inside a blue/green bake's short pre-switch window left the
  // chaos soak's baseline 0/6 against a canary's 0/663) does not hold the
  // pass back. Still valid: (1 - w) LR_floor <= E_pass, so this passes only
  // where E_pass >= 1/beta does; min_requests is a relevance gate.
  const bool floorAlone = w < 1 && std::log(1 - w) + st.logLrFloor >= passAt;
  const bool enoughTraffic =
      canary.requests >= policy.minRequests && (baseline.requests >= policy.minRequests || floorAlone);
  const bool relevant = rc >= policy.minErrorRate && rc > rb;

  if (logFail >= failAt && relevant) st.decision = -1;
  else if (st.decision == 0 && enoughTraffic && logPassE >= passAt)
    st.decision = +1;

  auto res = MetricResult::of(spec, MetricKind::kErrorRate, Direction::kIncrease);
  std::string counts = fmt::format("error rate {} ({}/{}) vs baseline {} ({}/{})", pct(rc), canary.errors,
                                   canary.requests, pct(rb), baseline.errors, baseline.requests);
  if (st.decision < 0) {
    res.classification = Classification::kHigh;
    res.reason = fmt::format("{}: likelihood ratio {} >= {} (alpha {}) — canary worse", counts, lr(logFail),
                             lr(failAt), policy.alpha);
  } else if (st.decision > 0) {
    res.classification = Classification::kPass;
    if (st.logLrPass >= st.logLrFloor)
      res.reason = fmt::format("{}: likelihood ratio against a x{} increase {} (evidence {} >= {}, beta {}) — canary not worse",
                               counts, policy.minIncrease, lr(st.logLrPass), lr(logPassE), lr(passAt), policy.sequentialBeta());
    else
      res.reason = fmt::format("{}: likelihood ratio against the objective of {} {} (evidence {} >= {}, beta {}) — canary within the objective",
                               counts, pct(policy.objective), lr(st.logLrFloor), lr(logPassE), lr(passAt), policy.sequentialBeta());
  } else if (canary.requests == 0 || baseline.requests == 0) {
    res.classification = Classification::kNoData;
    res.reason = fmt::format("{}: no requests on the {} yet", counts, canary.requests == 0 ? "canary" : "baseline");
  } else {
    res.classification = Classification::kInconclusive;
    std::string why = !enoughTraffic
        ? fmt::format("low traffic (min {} requests per side)", policy.minRequests)
        : std::string("not enough evidence yet");
    res.reason = fmt::format("{}: evidence of harm {} (fail at {}), pass evidence {} (pass at {}) — {}",
                             counts, lr(logFail), lr(failAt), lr(logPassE), lr(passAt), why);
  }
  const MetricForecast fc = forecast(st, policy);
  res.stats = {{"test", plugIn ? "plug-in SPRT, binomial conditional on total errors"
                              : "mixture SPRT, binomial conditional on total errors"},
               {"method", plugIn ? "plugin" : "mixture"},
               {"canary", {{"requests", canary.requests}, {"errors", canary.errors}, {"rate", rc}}},
               {"baseline", {{"requests", baseline.requests}, {"errors", baseline.errors}, {"rate", rb}}},
               {"ratio", rb > 0 ? nlohmann::json(rc / rb) : nlohmann::json(nullptr)},
               {"likelihood_ratio_fail", std::exp(logFail)},
               {"fail_threshold", 1 / policy.alpha},
               {"likelihood_ratio_mixture", std::exp(logMixture)},
               {"likelihood_ratio_plugin", std::exp(st.logLrPlugIn)},
               {"plugin_ratio", rPlugIn},
               {"likelihood_ratio_pass", std::exp(st.logLrPass)},
               {"likelihood_ratio_floor", std::exp(st.logLrFloor)},
               {"pass_evidence", std::exp(logPassE)},
               {"pass_weight", w},
               {"pass_threshold", 1 / policy.sequentialBeta()},
               {"always_valid_p", std::min(1.0, std::exp(-logFail))},
               {"alpha", policy.alpha},
               {"beta", policy.beta},
               {"min_increase", policy.minIncrease},
               {"alternatives", grid},
               {"min_error_rate", policy.minErrorRate},
               {"objective", policy.objective},
               {"forecast", fc.toJson()},
               {"min_requests", policy.minRequests},
               {"looks", st.looks}};
  return Outcome{std::move(st), std::move(res)};
}

nlohmann::json ErrorRateState::toJson() const {
  return {{"log_lr_alt", logLrAlt},
          {"log_lr_plugin", logLrPlugIn},
          {"log_lr_pass", logLrPass},
          {"log_lr_floor", logLrFloor},
          {"canary", {canarySeen.requests, canarySeen.errors}},
          {"baseline", {baselineSeen.requests, baselineSeen.errors}},
          {"decision", decision},
          {"looks", looks}};
}

Result<ErrorRateState> ErrorRateState::fromJson(const nlohmann::json& j, const std::string& where) {
  ErrorRateState s;
  try {
    s.logLrAlt = j.at("log_lr_alt").get<std::vector<double>>();
    s.logLrPlugIn = j.value("log_lr_plugin", 0.0);  // absent in states written before the plug-in test
    s.logLrPass = j.at("log_lr_pass").get<double>();
    s.logLrFloor = j.at("log_lr_floor").get<double>();
    s.canarySeen = {j.at("canary").at(0).get<uint64_t>(), j.at("canary").at(1).get<uint64_t>()};
    s.baselineSeen = {j.at("baseline").at(0).get<uint64_t>(), j.at("baseline").at(1).get<uint64_t>()};
    s.decision = j.at("decision").get<int>();
    s.looks = j.at("looks").get<uint64_t>();
  } catch (const nlohmann::json::exception& e) {
    return invalid(fmt::format("bad error-rate test state: {}", e.what()), where);
  }
  return s;
}

}  // namespace ramp::analysis
