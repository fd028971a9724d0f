#include "server/StatsRoutes.h"

#include "server/DeliveryStatsReport.h"

namespace ramp::server {

using nlohmann::json;

void addStatsRoutes(ApiServer& api, store::Store& st, const release::ReleaseStore& releases, Clock& clock) {
  // viewer in the env asked for, or in any one env (rows are then filtered).
  auto access = Access::custom("viewer in ?env, else in any env (rows filtered)",
                               [](const ApiRequest& r) -> Result<std::vector<Need>> {
                                 std::string env = r.query.contains("env") ? r.query.at("env") : "";
                                 return std::vector<Need>{Need{"viewer", env}};
                               });
  api.route("GET", "/api/v1/stats", access, [&st, &releases, &clock](const ApiRequest& r) -> Result<ApiResponse> {
    auto param = [&](const char* k) -> std::optional<std::string> {
      if (r.query.contains(k) && !r.query.at(k).empty()) return r.query.at(k);
      return std::nullopt;
    };
    auto report = deliveryStatsReport(st, releases, clock, param("since").value_or("30d"), param("service"),
                                      param("env"), "since");
    if (!report) return std::unexpected(report.error());
    json visible = json::array();
    for (auto& row : (*report)["services"]) {
      if (r.principal.has("viewer", row.value("env", std::string()))) visible.push_back(row);
    }
    (*report)["services"] = visible;
    return ApiResponse{200, *report};
  });
}

}  // namespace ramp::server
