// PrometheusMetricReader.h — one fleet's cumulative measurements of the
// metrics that ramp.yaml reads from Prometheus (analysis.metrics[].prometheus),
// in the same shape as the router's counters, so the judge runs the same
// tests on them.
//
// For each metric the queries get their placeholders filled for the fleet
// (config/QueryTemplate.h: {{fleet}}, {{release}}, ...), are asked as
// instant queries, and the answers become:
//   error_rate  {"requests": N, "errors": E}: the sum of the samples of
//               `total` (or `successes` + `errors`) and of `errors`, rounded
//               to whole events; no series yet = 0.
//   latency     {"bounds": [ms..., "+Inf"], "counts": [...]}: the samples of
//               `histogram` are cumulative buckets with an `le` label in
//               seconds (Prometheus' histogram convention), turned into per-
//               bucket counts; no series yet = an empty histogram.
// Counters are cumulative since each instance started, like the router's;
// the engine judges differences between snapshots (CounterSnapshot).
// Errors name the metric and query, e.g. "analysis.metrics[2].prometheus.errors:
// Prometheus refused the query: bad_data: ...", or a histogram without a
// +Inf bucket, errors above the total.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "core/Result.h"
#include "providers/prometheus/PrometheusClient.h"

namespace ramp::providers {

class PrometheusMetricReader {
 public:
  explicit PrometheusMetricReader(const PrometheusClient& client) : client_(client) {}
  // `metric`: one rendered analysis.metrics[i] that has `prometheus`; `index`
  // its position (for error messages); `values`: the placeholders' values.
  Result<nlohmann::json> read(const nlohmann::json& metric, size_t index,
                              const std::map<std::string, std::string>& values) const;
  // Cumulative `le` buckets (seconds) → {"bounds" (ms, "+Inf" last), "counts"}.
  static Result<nlohmann::json> histogram(const std::vector<PromSample>& samples);

 private:
  Result<double> total(const std::string& query, const std::string& where,
                       const std::map<std::string, std::string>& values) const;
  const PrometheusClient& client_;
};

}  // namespace ramp::providers
