// CounterSnapshot.h — a fleet's cumulative data-plane counters as stored in
// a deployment record, and the judge's measurements between two of them.
//
// The router (and CloudWatch, through the AWS provider) reports counters
// cumulative since it started; the engine stores snapshots (JSON: requests,
// errors, latency histogram bounds and counts; the +Inf bound as "+Inf";
// "epoch": the counters' run, FleetMetrics::countersEpoch, when the source
// has one) and judges the differences. Across a restart of the counters the
// judges measure through a CounterWindow (engine/CounterWindow.h); between()
// is for two snapshots of one run (a counter that went backwards: the later
// snapshot counts from zero).
//
// A snapshot may also carry `metrics`: {NAME: value} — the cumulative values
// of the analysis metrics read from a query server (Prometheus,
// providers/prometheus/MetricQuerySource.h): {requests, errors} or {bounds,
// counts}. between(start, end, metrics) gives the judge one entry per
// configured metric (analysis.metrics, rendered): the router's error rate
// and latency under the name of each metric of that kind without queries,
// and each query metric's own difference — absent (no data at this look)
// when it was not read at both ends; a value that went down (the instance
// restarted) counts from zero like the router's. named() does the same from
// router measurements made elsewhere (a CounterWindow's).
// Also: the service's `analysis` block (config names) as the judge's config.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/JudgeConfig.h"
#include "analysis/Measurements.h"
#include "core/Result.h"
#include "providers/Provider.h"

namespace ramp::engine {

struct CounterSnapshot {
  uint64_t requests = 0;
  uint64_t errors = 0;                 // 5xx answers and upstream failures
  std::vector<double> boundsMs;        // latency histogram upper bounds, +inf last
  std::vector<uint64_t> counts;        // same length as boundsMs
  nlohmann::json metrics = nlohmann::json::object();  // query metrics' cumulative values by name
  std::string epoch;                   // the counters' run (FleetMetrics::countersEpoch); "" = the source has none

  static CounterSnapshot of(const providers::FleetMetrics& m);
  // {"requests", "errors", "bounds" (+inf as "+Inf"), "counts", "metrics"
  // (when any), "epoch" (when known)}, as stored.
  nlohmann::json toJson() const;
  static Result<CounterSnapshot> fromJson(const nlohmann::json& j, const std::string& where);
  // Measurements from `start` to `end`.
  // The router's metrics under the default names "error_rate" and "latency".
  static Result<analysis::Measurements> between(const CounterSnapshot& start, const CounterSnapshot& end);
  // Every metric of `metrics` (the rendered analysis.metrics; empty = the
  // default two, as above).
  static Result<analysis::Measurements> between(const CounterSnapshot& start, const CounterSnapshot& end,
                                                const nlohmann::json& metrics);
  // The same from the router's measurements made elsewhere (`router`, under
  // the default names: a CounterWindow's look); `start`/`end` give the query
  // metrics' values.
  static Result<analysis::Measurements> named(const analysis::Measurements& router, const CounterSnapshot& start,
                                              const CounterSnapshot& end, const nlohmann::json& metrics);
  // The metric is read from a query server (it has `prometheus` queries).
  static bool isQueryMetric(const nlohmann::json& metric);
  // The rendered `analysis` block -> JudgeConfig for one of the
  // deployment's `analyses` (analysis::AnalysisBlock: the false-rollback
  // budget split over metrics × analyses).
  static Result<analysis::JudgeConfig> judgeConfig(const nlohmann::json& analysisBlock, int analyses);
};

}  // namespace ramp::engine
