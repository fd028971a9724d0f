#include "providers/prometheus/PrometheusQuerySource.h"

#include "core/Duration.h"
#include "providers/prometheus/PrometheusClient.h"
#include "providers/prometheus/PrometheusMetricReader.h"

namespace ramp::providers {

using nlohmann::json;

Result<json> PrometheusQuerySource::read(const json& server, const json& metric, size_t index,
                                         const std::map<std::string, std::string>& values) {
  if (!server.is_object() || !server.contains("url") || !server["url"].is_string())
    return invalid("a metric with prometheus queries needs the server's url", "analysis.prometheus.url");
  std::chrono::milliseconds timeout{2000};
  if (server.contains("timeout")) {
    auto t = server["timeout"].is_string() ? parseDuration(server["timeout"].get<std::string>())
                                           : Result<std::chrono::milliseconds>(std::unexpected(Error{}));
    if (!t || t->count() <= 0) return invalid("must be a positive duration such as 2s", "analysis.prometheus.timeout");
    timeout = *t;
  }
  PrometheusClient client(server["url"].get<std::string>(), timeout);
  return PrometheusMetricReader(client).read(metric, index, values);
}

}  // namespace ramp::providers
