#include "server/MetricsRoutes.h"

namespace ramp::server {

void addMetricsRoutes(ApiServer& api, MetricsFeed& feed) {
  api.route("GET", "/metrics", Access::global("viewer"), [&feed](const ApiRequest&) -> Result<ApiResponse> {
    auto text = feed.scrape();
    if (!text) return std::unexpected(text.error());
    ApiResponse res;
    res.contentType = "text/plain; version=0.0.4; charset=utf-8";
    res.text = std::move(*text);
    return res;
  });
}

}  // namespace ramp::server
