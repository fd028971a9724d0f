// MetricQuerySource.h — where the engine reads the analysis metrics that
// ramp.yaml defines as queries (analysis.metrics[i].prometheus) instead of
// the router's counters: the service's own (business) metrics.
//
// Contract of read():
//   - `server` is the rendered analysis.prometheus ({url, timeout}),
//     `metric` the rendered analysis.metrics[index], `values` the
//     placeholders of its queries ({{fleet}}, {{release}}, {{service}},
//     {{env}}, {{region}}) for one fleet;
//   - the answer is that fleet's measurement, cumulative (like the router's
//     counters; the engine judges differences between two snapshots):
//     {"requests": N, "errors": E} for kind error_rate,
//     {"bounds": [ms..., "+Inf"], "counts": [...]} for kind latency;
//   - an error names the key: analysis.metrics[i].prometheus.KEY (the query
//     refused, the server unreachable or slow, an answer that is not a
//     count), or analysis.prometheus.timeout.
// Implementations keep a timeout on every request (PrometheusQuerySource:
// analysis.prometheus.timeout, default 2 s, connect included).
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "core/Result.h"

namespace ramp::providers {

class MetricQuerySource {
 public:
  virtual ~MetricQuerySource() = default;
  virtual Result<nlohmann::json> read(const nlohmann::json& server, const nlohmann::json& metric, size_t index,
                                      const std::map<std::string, std::string>& values) = 0;
};

}  // namespace ramp::providers
