#include "server/DashboardRoutes.h"

#include <string_view>

#include "engine/Deployment.h"
#include "server/DashboardAssets.h"
#include "server/DeployTargets.h"
#include "server/DeploymentActions.h"
#include "server/DeploymentScope.h"

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

void addDashboardRoutes(ApiServer& api, store::Store& store, record::ConfigOfRecord& configRecord) {
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
  api.route("GET", "/api/v1/dashboard/deploy",
            Access::custom("viewer in any env", [](const ApiRequest&) -> Result<std::vector<Need>> {
              return std::vector<Need>{Need{"viewer", ""}};
            }),
            [&configRecord](const ApiRequest& r) -> Result<ApiResponse> {
              auto v = configRecord.inForce();
              if (!v) return std::unexpected(v.error());
              return ApiResponse{200, deployTargetsFor(r.principal, (*v)->config, (*v)->record.version)};
            });
  api.route("GET", "/api/v1/deployments/{id}/actions", ofDeploymentParam(store, "viewer"),
            [&store](const ApiRequest& r) -> Result<ApiResponse> {
              auto rec = store.getDeployment(r.params.at(0));
              if (!rec) return deploymentLookupFailed(rec.error(), r.params.at(0));
              auto d = engine::Deployment::fromRecord(rec->id, rec->service, rec->env, rec->state, rec->revision,
                                                      rec->doc);
              if (!d) return std::unexpected(d.error());
              // Rollback acts on the newest started deployment of the service/env.
              store::DeploymentFilter f;
              f.service = d->service;
              f.env = d->env;
              f.limit = 50;
              auto all = store.listDeployments(f);
              if (!all) return std::unexpected(all.error());
              std::string newest;
              for (const auto& x : *all) {
                auto xd = engine::Deployment::fromRecord(x.id, x.service, x.env, x.state, x.revision, x.doc);
                if (!xd) continue;
                bool gate = engine::isGate(xd->phase);
                if ((xd->started || !engine::isTerminalState(xd->state)) && !gate) {
                  newest = xd->id;
                  break;
                }
              }
              return ApiResponse{200, {{"deployment", d->id},
                                       {"user", r.principal.user},
                                       {"actions", actionsFor(r.principal, *d, newest == d->id)}}};
            });
}

}  // namespace ramp::server
