// PrometheusQuerySource.h — MetricQuerySource over a Prometheus server's
// HTTP API: a PrometheusClient for analysis.prometheus {url, timeout
// (default 2s)} and a PrometheusMetricReader for the metric's queries.
// Stateless and thread-safe (a client per read; the connection is not kept).
#pragma once

#include "providers/prometheus/MetricQuerySource.h"

namespace ramp::providers {

class PrometheusQuerySource final : public MetricQuerySource {
 public:
  Result<nlohmann::json> read(const nlohmann::json& server, const nlohmann::json& metric, size_t index,
                              const std::map<std::string, std::string>& values) override;
};

}  // namespace ramp::providers
