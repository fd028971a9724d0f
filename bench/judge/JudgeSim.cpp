// judge_sim — how fast and how right the canary judge is, on simulated traffic.
//
// Setup (the canary issue's benchmark): 5% of T requests/s go to the canary,
// 95% to the baseline (the stable fleet). Every simulated second each fleet
// serves Poisson(rate) requests; each request fails with its fleet's error
// rate and has a lognormal latency (median 50 ms, sigma 0.5), recorded in the
// router's histogram (0.1 ms * 1.05^k .. 60 s, +inf). Cases: healthy, error
// rate x2 and x5 over a 1% baseline, latency +20% and +50%. For every run:
//  - the judge (Judge::step with default JudgeConfig) looks once per simulated
//    second with cumulative counts until it passes or fails, or the horizon
//    ends (inconclusive);
//  - a fixed-window rule like Argo Rollouts'/Flagger's looks once at the end
//    of the first 1-minute window: fail if the canary's error rate or p99
//    latency is above its limit. The limits are the lowest whose false-
//    rollback rate over this run's healthy canaries is no higher than the
//    judge's;
//  - Wald's SPRT expected sample size for the same error bounds (the floor).
// Time is a counter of simulated seconds: nothing sleeps, nothing reads a clock.
//
// The look interval is a knob (--look-ms, default 1000: the engine's default
// analysis interval; the local router's counters are live, so 250 ms works
// too): traffic is simulated in ticks of that length and the judge looks at
// the end of every tick.
//
// Usage: judge_sim [--runs N] [--seed S] [--horizon SECONDS] [--rates 100,20,5]
//                  [--look-ms 1000] [--error-method plugin|mixture]
//                  [--latency-boundary mixture|spending] [--cases h25lL]
//                  [--alternatives 1.5,2,3 (the error-rate grid)] [--min-increase R] [--beta B]
//        judge_sim --example examples/crawler [--totals 20,100,1000] [--service-errors 0,0.001,0.01]
//                  [--tolerance T (overrides analysis.error_rate_tolerance)] [--harms 1.5,2,2.5,3] [--person-delay S]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "analysis/ErrorRateTest.h"
#include "analysis/Judge.h"
#include "analysis/LatencySample.h"
#include "ExampleReport.h"
#include "SimFleet.h"

using namespace ramp::analysis;
using ramp::bench::ServiceProfile;
using ramp::bench::SimFleet;

namespace {

constexpr double kBaseErr = 0.01;
constexpr double kMedianMs = 50;
constexpr double kSigma = 0.5;
constexpr double kCanaryShare = 0.05;
constexpr int kWindow = 60;

struct Case {
  const char* name;
  double errMult;     // canary error rate = 1% * errMult
  double latMult;     // canary median = 50 ms * latMult
  bool degraded;
};

struct RunResult {
  Outcome outcome = Outcome::kInconclusive;
  double seconds = 0;         // simulated seconds to the decision
  uint64_t canaryRequests = 0;
  double windowErrRate = 0;   // fixed-window rule inputs at 60 s
  double windowP99 = 0;
  double oracleRequests = NAN;  // canary requests when the oracle SPRT stopped (errors cases, healthy)
};

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  size_t k = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size()))) ;
  return v[std::min(v.size() - 1, k == 0 ? 0 : k - 1)];
}

// Wald's SPRT: expected sample size under the alternative (accept H1) and
// under the null (accept H0), per observation drift given.
double waldH1(double alpha, double beta, double kl1) {
  return ((1 - beta) * std::log((1 - beta) / alpha) + beta * std::log(beta / (1 - alpha))) / kl1;
}
double waldH0(double alpha, double beta, double kl0) {
  return ((1 - alpha) * std::log((1 - alpha) / beta) + alpha * std::log(alpha / (1 - beta))) / kl0;
}
double klBernoulli(double a, double b) { return a * std::log(a / b) + (1 - a) * std::log((1 - a) / (1 - b)); }

// The SPRT floor in canary requests for a case.
double sprtFloorRequests(const Case& c, const JudgeConfig& cfg, double canaryRate) {
  const double baseRate = canaryRate * (1 - kCanaryShare) / kCanaryShare;
  const double a = cfg.errorRate.alpha, b = cfg.errorRate.beta;
  auto theta = [&](double r) { return r * canaryRate / (r * canaryRate + baseRate); };
  // errors per canary request (both fleets' errors are the observations)
  auto errorsPerCanaryRequest = [&](double r) { return (r * kBaseErr * canaryRate + kBaseErr * baseRate) / canaryRate; };
  // Latency: log-latency is normal(sigma); an oracle SPRT knowing sigma and
  // the baseline, testing shift log(1+tol) against the true shift.
  const double tol = std::log1p(cfg.latency.tolerance);
  const double la = (1 - cfg.latency.confidence) / 2;
  auto latFloor = [&](double d0, double d1, bool h1) {
    double kl = (d1 - d0) * (d1 - d0) / (2 * kSigma * kSigma);
    return h1 ? waldH1(la, b, kl) : waldH0(la, b, kl);
  };
  if (!c.degraded) {
    double errFloor = waldH0(a, b, klBernoulli(theta(1), theta(cfg.errorRate.minIncrease))) / errorsPerCanaryRequest(1);
    double latFl = latFloor(0, tol, false);
    return std::max(errFloor, latFl);
  }
  if (c.errMult > 1) return waldH1(a, b, klBernoulli(theta(c.errMult), theta(1))) / errorsPerCanaryRequest(c.errMult);
  return latFloor(tol, std::log(c.latMult), true);
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 1000, horizon = 900, lookMs = 1000;
  std::string errorMethod, latencyBoundary, caseFilter;
  std::vector<double> alternatives;
  double minIncrease = 0, beta = 0;  // 0: the default config's
  uint64_t seed = 20260101;
  std::vector<double> rates{100, 20, 5};
  ramp::bench::ExampleOptions example;
  bool exampleMode = false, runsGiven = false;
  auto list = [](const std::string& v) {
    std::vector<double> out;
    for (size_t p = 0; p < v.size();) {
      size_t q = v.find(',', p);
      out.push_back(std::stod(v.substr(p, q - p)));
      p = q == std::string::npos ? v.size() : q + 1;
    }
    return out;
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "judge_sim: %s needs a value\n", a.c_str());
        std::exit(1);
      }
      return argv[++i];
    };
    if (a == "--runs") runs = std::stoi(next()), runsGiven = true;
    else if (a == "--example") example.configPath = next(), exampleMode = true;
    else if (a == "--service") example.service = next();
    else if (a == "--env") example.env = next();
    else if (a == "--totals") example.totals = list(next());
    else if (a == "--service-errors") example.errorRates = list(next());
    else if (a == "--person-delay") example.personDelayS = std::stod(next());
    else if (a == "--tolerance") example.tolerance = std::stod(next());
    else if (a == "--harms") example.harms = list(next());
    else if (a == "--seed") seed = std::stoull(next());
    else if (a == "--horizon") horizon = std::stoi(next());
    else if (a == "--look-ms") lookMs = std::stoi(next());
    else if (a == "--error-method") errorMethod = next();
    else if (a == "--latency-boundary") latencyBoundary = next();
    else if (a == "--cases") caseFilter = next();
    else if (a == "--min-increase") minIncrease = std::stod(next());
    else if (a == "--beta") beta = std::stod(next());
    else if (a == "--alternatives") {
      std::string v = next();
      for (size_t p = 0; p < v.size();) {
        size_t q = v.find(',', p);
        alternatives.push_back(std::stod(v.substr(p, q - p)));
        p = q == std::string::npos ? v.size() : q + 1;
      }
    }
    else if (a == "--rates") {
      rates.clear();
      std::string s = next();
      for (size_t p = 0; p < s.size();) {
        size_t q = s.find(',', p);
        rates.push_back(std::stod(s.substr(p, q - p)));
        p = q == std::string::npos ? s.size() : q + 1;
      }
    } else {
      std::fprintf(stderr,
                   "judge_sim: unknown flag %s (use --runs, --seed, --horizon, --rates, --look-ms, --error-method, "
                   "--latency-boundary, --cases, --alternatives, --min-increase, --beta; --example PATH with --service, "
                   "--env, --totals, --service-errors, --person-delay, --tolerance, --harms)\n",
                   a.c_str());
      return 1;
    }
  }
  if (exampleMode) {
    example.seed = seed;
    if (runsGiven) example.runs = runs;
    return ramp::bench::runExampleReport(example);
  }
  if (runs < 1 || horizon < kWindow || lookMs < 1 || (kWindow * 1000) % lookMs != 0) {
    std::fprintf(stderr, "judge_sim: --runs must be >= 1, --horizon >= %d and --look-ms divide 60000\n", kWindow);
    return 1;
  }

  nlohmann::json over = nlohmann::json::object();
  if (!errorMethod.empty()) over["error_rate"]["method"] = errorMethod;
  if (!latencyBoundary.empty()) over["latency"]["boundary"] = latencyBoundary;
  if (!alternatives.empty()) over["error_rate"]["alternatives"] = alternatives;
  if (minIncrease > 0) over["error_rate"]["min_increase"] = minIncrease;
  if (beta > 0) over["error_rate"]["beta"] = beta;
  auto parsed = JudgeConfig::fromJson(over, "judge_sim");
  if (!parsed) {
    std::fprintf(stderr, "judge_sim: %s\n", parsed.error().describe().c_str());
    return 1;
  }
  const JudgeConfig cfg = *parsed;
  const double tick = lookMs / 1000.0;                 // seconds per look
  const int ticks = horizon * 1000 / lookMs, windowTick = kWindow * 1000 / lookMs;
  const auto& bounds = SimFleet::bounds();
  const std::vector<Case> allCases{{"healthy", 1, 1, false},
                                   {"errors x2", 2, 1, true},
                                   {"errors x5", 5, 1, true},
                                   {"latency +20%", 1, 1.2, true},
                                   {"latency +50%", 1, 1.5, true},
                                   {"errors x1.5", 1.5, 1, true}};
  // --cases picks by letters: h (healthy), 2, 5, m (errors x2, x5, x1.5), l, L (latency +20%, +50%);
  // healthy always runs (the fixed-window limits come from it); x1.5 only when asked
  // (it shows what a larger --min-increase lets through).
  std::vector<Case> cases;
  for (size_t i = 0; i < allCases.size(); ++i)
    if (i == 0 || (caseFilter.empty() && i != 5) || caseFilter.find("h25lLm"[i]) != std::string::npos)
      cases.push_back(allCases[i]);
  fmt::print("judge_sim: {} runs per case, seed {}, horizon {} s, canary share {:.0f}%, judge looks every {} ms\n", runs,
             seed, horizon, 100 * kCanaryShare, lookMs);
  fmt::print("judge: error rate {} (alpha {} beta {} min_increase x{} alternatives x{:.3g}..x{:.3g}), latency {} boundary "
             "(confidence {} tolerance {:.0f}%)\n\n",
             cfg.errorRate.method == ErrorRateMethod::kPlugIn ? "plug-in SPRT" : "mixture SPRT", cfg.errorRate.alpha,
             cfg.errorRate.beta, cfg.errorRate.minIncrease, cfg.errorRate.grid().front(), cfg.errorRate.grid().back(),
             cfg.latency.boundary == LatencyBoundary::kMixture ? "normal-mixture" : "alpha-spending",
             cfg.latency.confidence, 100 * cfg.latency.tolerance);

  for (double canaryRate : rates) {
    const double baseRate = canaryRate * (1 - kCanaryShare) / kCanaryShare;
    const auto baseProbs = SimFleet::bucketProbs(ServiceProfile{kBaseErr, kMedianMs, kSigma});
    std::vector<std::vector<RunResult>> all(cases.size());
    for (size_t ci = 0; ci < cases.size(); ++ci) {
      const Case& c = cases[ci];
      const auto canProbs = SimFleet::bucketProbs(ServiceProfile{kBaseErr * c.errMult, kMedianMs * c.latMult, kSigma});
      for (int run = 0; run < runs; ++run) {
        const uint64_t caseId = static_cast<uint64_t>(
            std::find_if(allCases.begin(), allCases.end(), [&](const Case& a) { return a.name == c.name; }) - allCases.begin());
        std::mt19937_64 rng(seed * 1000003 + caseId * 7919 + static_cast<uint64_t>(run) * 104729 +
                            static_cast<uint64_t>(canaryRate));
        SimFleet can, base;
        JudgeState state;
        RunResult r;
        bool decided = false;
        // The oracle: Wald's SPRT on the same counts at the same looks, knowing
        // the true ratio (healthy: 1 against min_increase), boundaries
        // log((1-beta)/alpha) and log(beta/(1-alpha)).
        const bool oracleCase = c.latMult == 1;
        const double r1 = c.degraded ? c.errMult : cfg.errorRate.minIncrease;
        const double r0 = 1;
        double oracleLogLr = 0;
        bool oracleDone = !oracleCase;
        SimFleet prevCan = can, prevBase = base;
        const double upper = std::log((1 - cfg.errorRate.beta) / cfg.errorRate.alpha);
        const double lower = std::log(cfg.errorRate.beta / (1 - cfg.errorRate.alpha));
        for (int t = 1; t <= ticks && !(decided && t > windowTick && oracleDone); ++t) {
          can.serve(rng, canaryRate * tick, canProbs, kBaseErr * c.errMult);
          base.serve(rng, baseRate * tick, baseProbs, kBaseErr);
          if (!oracleDone) {
            oracleLogLr += ErrorRateTest::intervalLogLr(r0, r1, {can.requests - prevCan.requests, can.errors - prevCan.errors},
                                                        {base.requests - prevBase.requests, base.errors - prevBase.errors});
            prevCan = can;
            prevBase = base;
            if (oracleLogLr >= upper || oracleLogLr <= lower || t == ticks) {
              oracleDone = true;
              r.oracleRequests = static_cast<double>(can.requests);
            }
          }
          if (t == windowTick) {
            r.windowErrRate = can.requests ? double(can.errors) / double(can.requests) : 0;
            auto s = LatencySample::fromHistogram(bounds, can.counts, "canary");
            r.windowP99 = s && s->count() > 0 ? s->quantileMs(0.99) : 0;
          }
          if (decided) continue;
          auto step = Judge::step(std::move(state),
                                  can.measurements(), base.measurements(), cfg,
                                  t == ticks);
          if (!step) {
            std::fprintf(stderr, "judge_sim: %s\n", step.error().describe().c_str());
            return 1;
          }
          state = std::move(step->state);
          if (step->verdict.outcome != Outcome::kContinue) {
            decided = true;
            r.outcome = step->verdict.outcome;
            r.seconds = t * tick;
            r.canaryRequests = can.requests;
          }
        }
        all[ci].push_back(r);
      }
    }

    // Fixed-window limits: lowest (same order statistic for both checks)
    // whose false-rollback rate on the healthy runs is <= the judge's.
    const auto& healthy = all[0];
    size_t judgeFalse = std::count_if(healthy.begin(), healthy.end(), [](const RunResult& r) { return r.outcome == Outcome::kFail; });
    std::vector<double> errs, p99s;
    for (const auto& r : healthy) {
      errs.push_back(r.windowErrRate);
      p99s.push_back(r.windowP99);
    }
    std::sort(errs.rbegin(), errs.rend());
    std::sort(p99s.rbegin(), p99s.rend());
    double limErr = errs[0], limP99 = p99s[0];
    for (size_t j = 0; j < errs.size(); ++j) {
      size_t fr = std::count_if(healthy.begin(), healthy.end(),
                                [&](const RunResult& r) { return r.windowErrRate > errs[j] || r.windowP99 > p99s[j]; });
      if (fr > judgeFalse) break;
      limErr = errs[j];
      limP99 = p99s[j];
    }

    fmt::print("== canary {:.0f} req/s (baseline {:.0f} req/s) ==\n", canaryRate, baseRate);
    fmt::print("fixed-window rule: fail if the canary's 1-minute error rate > {:.3f}% or p99 > {:.1f} ms (decides at 60 s)\n",
               100 * limErr, limP99);
    fmt::print("{:<13} | {:>6} {:>6} {:>6} | {:>7} {:>7} {:>8} {:>8} | {:>9} {:>5} {:>8} {:>5} | {:>6} {:>6} | {:>7}\n",
               "case", "fail%", "pass%", "incon%", "med s", "p95 s", "med req", "mean req", "SPRT req", "x", "orac req",
               "x orc", "fw fail%", "fw pass%", "speedup");
    for (size_t ci = 0; ci < cases.size(); ++ci) {
      const auto& rs = all[ci];
      double n = static_cast<double>(rs.size());
      size_t fails = 0, passes = 0, incon = 0, fwFail = 0;
      std::vector<double> secs, reqs;
      double oracleSum = 0;
      for (const auto& r : rs) oracleSum += r.oracleRequests;
      const double oracleMean = oracleSum / static_cast<double>(rs.size());
      const Outcome correct = cases[ci].degraded ? Outcome::kFail : Outcome::kPass;
      for (const auto& r : rs) {
        fails += r.outcome == Outcome::kFail;
        passes += r.outcome == Outcome::kPass;
        incon += r.outcome == Outcome::kInconclusive;
        fwFail += (r.windowErrRate > limErr || r.windowP99 > limP99);
        if (r.outcome == correct) {
          secs.push_back(r.seconds);
          reqs.push_back(static_cast<double>(r.canaryRequests));
        }
      }
      double meanReq = 0;
      for (double v : reqs) meanReq += v;
      meanReq = reqs.empty() ? NAN : meanReq / static_cast<double>(reqs.size());
      double floorReq = sprtFloorRequests(cases[ci], cfg, canaryRate);
      double med = quantile(secs, 0.5);
      fmt::print("{:<13} | {:>6.1f} {:>6.1f} {:>6.1f} | {:>7.2f} {:>7.2f} {:>8.0f} {:>8.0f} | {:>9.0f} {:>5.2f} {:>8.0f} {:>5.2f} | {:>8.1f} {:>8.1f} | {:>7.1f}\n",
                 cases[ci].name, 100 * fails / n, 100 * passes / n, 100 * incon / n, med, quantile(secs, 0.95),
                 quantile(reqs, 0.5), meanReq, floorReq, meanReq / floorReq, oracleMean, meanReq / oracleMean,
                 100 * fwFail / n, 100 * (n - fwFail) / n, kWindow / med);
    }
    fmt::print("\n");
    std::fflush(stdout);
  }
  fmt::print("columns: fail/pass/incon% = judge outcomes; med/p95 s and med/mean req = simulated seconds and canary\n"
             "requests to the correct decision; SPRT req = Wald's expected sample size for the same alpha/beta (floor);\n"
             "x = mean req / SPRT req; orac req = mean canary requests of Wald's SPRT knowing the true ratio, run on the\n"
             "same counts at the same looks (error cases and healthy; its overshoot and look granularity included);\n"
             "x orc = mean req / orac req; fw = fixed-window rule; speedup = 60 s / judge median seconds.\n");
  return 0;
}
