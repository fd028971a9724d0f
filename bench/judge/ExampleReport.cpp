#include "ExampleReport.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include <fmt/format.h>

#include "DeploymentSim.h"
#include "SimPlan.h"
#include "config/ConfigLoader.h"
#include "config/EffectiveService.h"

namespace ramp::bench {

namespace {

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  size_t k = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, k == 0 ? 0 : k - 1)];
}

std::string pct(size_t k, size_t n) { return fmt::format("{:.1f}", n ? 100.0 * double(k) / double(n) : NAN); }

}  // namespace

int runExampleReport(const ExampleOptions& o) {
  auto cfg = config::loadConfig(o.configPath);
  if (!cfg) {
    std::fprintf(stderr, "judge_sim: %s\n", cfg.error().describe().c_str());
    return 1;
  }
  auto eff = config::render(*cfg, o.service, o.env);
  if (!eff) {
    std::fprintf(stderr, "judge_sim: %s\n", eff.error().describe().c_str());
    return 1;
  }
  auto plan = SimPlan::fromRendered(eff->json);
  if (!plan) {
    std::fprintf(stderr, "judge_sim: %s\n", plan.error().describe().c_str());
    return 1;
  }
  if (o.tolerance >= 0) plan->judge.errorRate.tolerance = o.tolerance;
  const auto& j = plan->judge;
  std::string steps;
  for (const auto& s : plan->steps) {
    if (!steps.empty()) steps += ", ";
    if (s.kind == SimPlan::Step::Kind::kWeight) steps += fmt::format("{}%", s.weight);
    else if (s.kind == SimPlan::Step::Kind::kAnalysis) steps += fmt::format("analysis ≤{:g} s every {:g} s", s.deadlineS, s.intervalS);
    else steps += "pause";
  }
  fmt::print("judge_sim --example {} (service {}, env {}): {} deployments per row, seed {}, a person answers an "
             "inconclusive step after {:g} s\n",
             o.configPath, o.service, o.env, o.runs, o.seed, o.personDelayS);
  fmt::print("steps: {}; bake {:g} s; on_inconclusive {}\n", steps, plan->bakeS, plan->onInconclusive);
  fmt::print("judge: {} analyses x {} metrics share max_false_rollback {:g}: alpha {:.3g} per test (fail at {:.0f}), "
             "latency confidence {:.5f}; max_false_pass {:g}, objective {:.2f}%, min_requests {}, latency tolerance "
             "{:.0f}%\n",
             plan->analyses, j.metrics.size(), j.errorRate.alpha * plan->analyses * double(j.metrics.size()),
             j.errorRate.alpha, 1 / j.errorRate.alpha, j.latency.confidence, j.errorRate.beta,
             100 * j.errorRate.objective, j.errorRate.minRequests, 100 * j.latency.tolerance);
  if (j.errorRate.tolerance > 0)
    fmt::print("at a step's deadline (bounded harm): pass when the canary's error rate is shown below max(baseline x {:g}, "
               "objective {:.2f}%) by a one-sided bound at confidence {:g} per route; sequential pass at beta {:g}\n",
               1 + j.errorRate.tolerance, 100 * j.errorRate.objective, 1 - j.errorRate.deadlineLevel(),
               j.errorRate.sequentialBeta());
  else
    fmt::print("at a step's deadline: no bounded-harm rule (error_rate_tolerance 0): an undecided step is inconclusive\n");
  fmt::print("traffic: Poisson, latency lognormal (median {:g} ms, sigma {:g}) in the router's buckets\n\n", o.medianMs,
             o.sigma);
  fmt::print("{:>7} {:>7} | {:>9} {:>8} {:>8} {:>9} {:>7} {:>7} {:>7} | {:>8} {:>8} {:>8} {:>8} | {:>8} {:>8} {:>8}\n",
             "total/s", "errors", "no-person", "deadline", "person", "false-rb", "paused", "bake", "b-incon", "step1 md",
             "step1 95", "step2 md", "deploy md", "x5 caught", "x5 md s", "x5 p95 s");
  for (double total : o.totals) {
    for (double p : o.errorRates) {
      const ServiceProfile healthy{p, o.medianMs, o.sigma};
      DeploymentSim sim(*plan, total, healthy, healthy, o.personDelayS);
      size_t noPerson = 0, atDeadline = 0, person = 0, falseRb = 0, paused = 0, bake = 0, bakeIncon = 0;
      std::vector<double> step1, step2, deploy;
      for (int run = 0; run < o.runs; ++run) {
        std::mt19937_64 rng(o.seed * 1000003 + static_cast<uint64_t>(run) * 104729 +
                            static_cast<uint64_t>(total) * 7919 + static_cast<uint64_t>(p * 1e6));
        DeploymentRun r = sim.run(rng);
        noPerson += !r.rolledBack && !r.policyRollback && r.personPauses == 0;
        person += r.personPauses > 0;
        atDeadline += !r.rolledBack && !r.policyRollback && r.personPauses == 0 && r.deadlinePasses > 0;
        falseRb += r.rolledBack;
        paused += r.whilePaused;
        bake += r.inBake;
        bakeIncon += r.bakeInconclusive;
        if (r.stepSeconds.size() > 0 && !std::isnan(r.stepSeconds[0])) step1.push_back(r.stepSeconds[0]);
        if (r.stepSeconds.size() > 1 && !std::isnan(r.stepSeconds[1])) step2.push_back(r.stepSeconds[1]);
        if (!r.rolledBack) deploy.push_back(r.seconds);
      }
      std::string x5caught = "-", x5med = "-", x5p95 = "-";
      if (p > 0) {
        DeploymentSim bad(*plan, total, healthy, ServiceProfile{5 * p, o.medianMs, o.sigma}, o.personDelayS);
        size_t caught = 0;
        std::vector<double> secs;
        for (int run = 0; run < o.runs; ++run) {
          std::mt19937_64 rng(o.seed * 7 + static_cast<uint64_t>(run) * 15485863 + static_cast<uint64_t>(total) * 31 +
                              static_cast<uint64_t>(p * 1e6));
          DeploymentRun r = bad.run(rng);
          if (r.rolledBack) {
            ++caught;
            secs.push_back(r.secondsToRollback);
          }
        }
        x5caught = pct(caught, static_cast<size_t>(o.runs));
        x5med = fmt::format("{:.1f}", quantile(secs, 0.5));
        x5p95 = fmt::format("{:.1f}", quantile(secs, 0.95));
      }
      const size_t n = static_cast<size_t>(o.runs);
      fmt::print("{:>7g} {:>6.2f}% | {:>9} {:>8} {:>8} {:>9} {:>7} {:>7} {:>7} | {:>8.0f} {:>8.0f} {:>8.0f} {:>9.0f} | {:>9} {:>8} {:>8}\n",
                 total, 100 * p, pct(noPerson, n), pct(atDeadline, n), pct(person, n), pct(falseRb, n), pct(paused, n), pct(bake, n),
                 pct(bakeIncon, n), quantile(step1, 0.5), quantile(step1, 0.95), quantile(step2, 0.5),
                 quantile(deploy, 0.5), x5caught, x5med, x5p95);
      std::fflush(stdout);
    }
  }
  if (!o.harms.empty()) {
    fmt::print("\nharmful canaries (errs k x the service's rate, same latency): % of deployments promoted without a person "
               "(every step passed; of which at a deadline) / rolled back / needed a person\n");
    fmt::print("{:>7} {:>7} | {}\n", "total/s", "errors", "k: promoted (at deadline) / rolled back / person");
    for (double total : o.totals) {
      for (double p : o.errorRates) {
        if (p <= 0) continue;
        std::string row;
        for (double k : o.harms) {
          const ServiceProfile stableP{p, o.medianMs, o.sigma};
          DeploymentSim sim(*plan, total, stableP, ServiceProfile{k * p, o.medianMs, o.sigma}, o.personDelayS);
          size_t promoted = 0, viaDeadline = 0, rolled = 0, person = 0;
          for (int run = 0; run < o.runs; ++run) {
            std::mt19937_64 rng(o.seed * 13 + static_cast<uint64_t>(run) * 2750159 + static_cast<uint64_t>(total) * 17 +
                                static_cast<uint64_t>(p * 1e6) + static_cast<uint64_t>(k * 1000) * 7);
            DeploymentRun r = sim.run(rng);
            const bool clean = !r.rolledBack && !r.policyRollback && r.personPauses == 0;
            promoted += clean;
            viaDeadline += clean && r.deadlinePasses > 0;
            rolled += r.rolledBack;
            person += r.personPauses > 0;
          }
          const size_t n = static_cast<size_t>(o.runs);
          row += fmt::format("{}x{:g}: {} ({}) / {} / {}", row.empty() ? "" : " | ", k, pct(promoted, n),
                             pct(viaDeadline, n), pct(rolled, n), pct(person, n));
        }
        fmt::print("{:>7g} {:>6.2f}% | {}\n", total, 100 * p, row);
        std::fflush(stdout);
      }
    }
  }
  fmt::print("\ncolumns (healthy canary = the stable release's profile): no-person = passed every analysis step without a "
             "person\n(deadline = of those, a step passed at its deadline by the bounded-harm rule);\nperson = at least one step ended inconclusive at its deadline; false-rb = rolled back on evidence "
             "anywhere in the\ndeployment (of which: paused = while waiting for a person, bake = during the bake); "
             "b-incon = bake ended inconclusive\n(recorded, not a rollback); step1/step2 md/95 = seconds to each analysis "
             "step's pass; deploy md = median seconds of a\nwhole deployment (person delays included, bake included); x5 "
             "= the canary errs 5x the service's rate: caught %, seconds\nfrom the first analysis's start to the rollback.\n");
  return 0;
}

}  // namespace ramp::bench
