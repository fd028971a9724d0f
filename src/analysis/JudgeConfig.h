// JudgeConfig.h — how the judge decides: error bounds, effect sizes, traffic
// minimums, scoring thresholds and the list of metrics.
//
// Read from the service's `analysis:` block (rendered to JSON) by
// JudgeConfig::fromJson, which rejects unknown keys and out-of-range values
// with an Error whose `where` is the JSON path (e.g. "analysis.latency.tolerance").
// Every field has a default (docs/analysis.md explains how they were chosen);
// an empty block gives JudgeConfig::defaults(): a critical error-rate metric
// "error_rate" and a latency metric "latency".
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/Result.h"

namespace ramp::analysis {

enum class MetricKind { kErrorRate, kLatency };
// Which way is bad: a latency or error rate that goes up is an increase.
enum class Direction { kIncrease, kDecrease, kEither };

std::string_view metricKindName(MetricKind k);
std::string_view directionName(Direction d);

struct MetricSpec {
  std::string name;
  MetricKind kind = MetricKind::kErrorRate;
  std::string group;               // scoring group; defaults to the name
  bool critical = false;           // a failure fails the whole canary
  Direction direction = Direction::kIncrease;  // latency only; error rate is always kIncrease
  double weight = 1;               // within its group: the group's score is the weighted share of successes
};

// How the fail direction of the error-rate test picks its alternative.
//  plugin   adaptive plug-in SPRT: at each look the alternative ratio is the
//           estimate from the data *before* that look, clipped to
//           [min_increase, max alternative] (Robbins–Siegmund)
//  mixture  average of fixed-alternative SPRTs over the `alternatives` grid
enum class ErrorRateMethod { kPlugIn, kMixture };
// How the latency test pays for repeated looks.
//  mixture   Robbins' normal-mixture boundary on the Mann–Whitney z: one
//            boundary valid at every look, however many
//  spending  Bonferroni alpha spending alpha_k = (1-c)/(k(k+1)) over looks
//            taken every `look_growth` more canary samples
enum class LatencyBoundary { kMixture, kSpending };

// Sequential test of the canary's error rate against the baseline's.
struct ErrorRatePolicy {
  double alpha = 0.005;            // bound on P(fail | canary no worse than baseline), any number of looks
  double beta = 0.1;               // bound on P(pass | canary worse by >= minIncrease), any number of looks
  double minIncrease = 1.5;        // smallest relevant ratio canary rate / baseline rate
  ErrorRateMethod method = ErrorRateMethod::kMixture;
  // Ratios of the mixture (method mixture), equal weights (repeat a ratio to
  // weight it more); empty: 9 ratios log-evenly from minIncrease to
  // 4 * minIncrease (docs/benchmarks.md "Canary judge" shows why this range).
  // The plug-in clips its estimate to the largest of them.
  std::vector<double> alternatives;
  double minErrorRate = 0.001;     // canary error rates below this are never a regression
  // The error-rate objective: a canary shown to err less often than this
  // (with confidence 1 - beta) passes, whatever the baseline does (the
  // absolute route, for services with (almost) no errors, whose ratio to the
  // baseline cannot be measured). 0 = no absolute route.
  double objective = 0.005;
  uint64_t minRequests = 100;      // per side, before anything can pass
  // The bounded-harm rule at a step's deadline (HarmBound.h): an undecided
  // canary passes at the final look when its error rate is shown (one-sided
  // bound, confidence 1 - deadlineLevel()) to be below
  // max(baseline × (1 + tolerance), objective). 0 = off (the step ends
  // inconclusive, as before). When on, max_false_pass is split: β/2 for the
  // sequential pass, β/2 for the deadline rule (β/4 per route with an
  // objective, β/2 without).
  double tolerance = 0;

  // β of the sequential pass e-value: β, or β/2 when the deadline rule is on.
  double sequentialBeta() const { return tolerance > 0 ? beta / 2 : beta; }
  // Level of each route of the deadline rule.
  double deadlineLevel() const { return beta / 2 / (objective > 0 ? 2 : 1); }

  // The effective mixture grid.
  std::vector<double> grid() const;
};

// Mann–Whitney test of canary latency against baseline latency.
struct LatencyPolicy {
  double confidence = 0.99;        // overall, spent over the looks (alpha_k = (1-c)/(k(k+1)))
  double tolerance = 0.10;         // relative: canary up to 10% slower is still a pass
  // Absolute floor of the tolerance: a shift smaller than this many
  // milliseconds is never a regression, however significant (a fresh
  // process 0.03 ms slower at sub-millisecond latency is not worth a rollback).
  double minShiftMs = 1.0;
  uint64_t minSamples = 50;        // per side, else no data
  LatencyBoundary boundary = LatencyBoundary::kMixture;
  // Mixture boundary: the canary sample size at which it is tightest.
  double mixtureSamples = 200;
  double lookGrowth = 1.25;        // spending only: a new look once the canary sample grew by this factor
  double outlierFactor = 0;        // Tukey fences on raw samples; 0 = keep everything
  // The bounded-harm rule for latency at a step's deadline (HarmBound.h):
  // an undecided latency metric passes at the final look when exact
  // distribution-free bounds show the canary's median latency below
  // max(baseline median × (1 + deadlineTolerance), baseline median +
  // minShiftMs), each bound at JudgeConfig::latencyDeadlineLevel(). 0 = off.
  double deadlineTolerance = 0;
};

struct JudgeConfig {
  ErrorRatePolicy errorRate;
  LatencyPolicy latency;
  double passScore = 95;
  double marginalScore = 75;
  std::map<std::string, double> groupWeights;  // groups without a weight share the rest
  std::vector<MetricSpec> metrics;

  // Level of each of the two bounds of the latency rule at the deadline:
  // β/8, so a canary past the stated latency harm passes a step through the
  // rule with probability <= β/4 (β = errorRate.beta = max_false_pass).
  double latencyDeadlineLevel() const { return errorRate.beta / 8; }

  static JudgeConfig defaults();
  // `where` is the path of `j` itself, used as the prefix of error locations.
  static Result<JudgeConfig> fromJson(const nlohmann::json& j, const std::string& where = "analysis");
  nlohmann::json toJson() const;
  Status validate(const std::string& where = "analysis") const;
};

}  // namespace ramp::analysis
