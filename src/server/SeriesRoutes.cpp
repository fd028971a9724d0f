#include "server/SeriesRoutes.h"

#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "server/DeploymentScope.h"

namespace ramp::server {

namespace {

Result<int64_t> afterOf(const ApiRequest& r) {
  if (!r.query.contains("after") || r.query.at("after").empty()) return int64_t{0};
  try {
    size_t used = 0;
    int64_t v = std::stoll(r.query.at("after"), &used);
    if (used != r.query.at("after").size()) return invalid("must be a number (Unix milliseconds)", "after");
    return v;
  } catch (...) {
    return invalid("must be a number (Unix milliseconds)", "after");
  }
}

}  // namespace

void addSeriesRoutes(ApiServer& api, store::Store& store, FleetSeries& series, const std::atomic<bool>& stop) {
  api.route("GET", "/api/v1/deployments/{id}/series", ofDeploymentParam(store, "viewer"),
            [&series](const ApiRequest& r) -> Result<ApiResponse> {
              auto after = afterOf(r);
              if (!after) return std::unexpected(after.error());
              auto pts = series.points(r.params.at(0), *after);
              if (!pts) return std::unexpected(pts.error());
              return ApiResponse{200, *pts};
            });
  api.stream("/api/v1/deployments/{id}/series/stream", ofDeploymentParam(store, "viewer"),
             [&series, &stop](const ApiRequest& r, const StreamWriter& write, const std::atomic<bool>& stopping) {
               auto after = afterOf(r);
               int64_t last = after ? *after : 0;
               for (int i = 0; i < 3600 * 4 && !stopping && !stop; ++i) {  // at most an hour
                 auto pts = series.points(r.params.at(0), last);
                 if (!pts) {
                   (void)write(fmt::format("event: error\ndata: {}\n\n",
                                           nlohmann::json{{"message", pts.error().describe()}}.dump()));
                   return;
                 }
                 for (const auto& p : (*pts)["points"]) {
                   last = std::max(last, p.value("t", int64_t{0}));
                   if (!write(fmt::format("event: point\ndata: {}\n\n", p.dump()))) return;
                 }
                 if (i % 4 == 0 && !write(": keep-alive\n\n")) return;
                 std::this_thread::sleep_for(std::chrono::milliseconds(250));
               }
             });
}

}  // namespace ramp::server
