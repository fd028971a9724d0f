#include "server/DashboardRoutes.h"

#include <string_view>

#include "server/DashboardAssets.h"

namespace ramp::server {

namespace {

Result<ApiResponse> serveAsset(std::string_view name) {
  for (const auto& a : dashboardAssets()) {
    if (name == a.name) {
      ApiResponse res;
      res.contentType = a.contentType;
      res.text.assign(reinterpret_cast<const char*>(a.data), a.size);
      return res;
    }
  }
  return notFound("no dashboard asset " + std::string(name), "path");
}

}  // namespace

void addDashboardRoutes(ApiServer& api) {
  api.publicRoute("GET", "/", [](const ApiRequest&) { return serveAsset("index.html"); });
  api.publicRoute("GET", "/ui", [](const ApiRequest&) { return serveAsset("index.html"); });
  api.publicRoute("GET", "/ui/{name}", [](const ApiRequest& r) { return serveAsset(r.params.at(0)); });
  api.route("GET", "/api/v1/dashboard/session",
            Access::custom("viewer in any env", [](const ApiRequest&) -> Result<std::vector<Need>> {
              return std::vector<Need>{Need{"viewer", ""}};
            }),
            [](const ApiRequest& r) -> Result<ApiResponse> {
              nlohmann::json roles = nlohmann::json::object();
              for (const auto& [env, rs] : r.principal.roles) roles[env] = rs;
              return ApiResponse{200, {{"user", r.principal.user}, {"roles", roles}}};
            });
}

}  // namespace ramp::server
