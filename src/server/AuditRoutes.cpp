#include "server/AuditRoutes.h"

#include "core/Clock.h"
#include "server/DeploymentScope.h"
#include "store/AuditQuery.h"
#include "store/AuditSeal.h"

namespace ramp::server {

void addAuditRoutes(ApiServer& api, store::Store& store, store::AuditSeal& seal,
                    std::function<Status()> sealNow) {
  api.route("GET", "/api/v1/audit", ofEventQuery(store, "viewer"), [&store](const ApiRequest& r) -> Result<ApiResponse> {
    auto filter = store::AuditQuery::parse(r.query, SystemClock::instance());
    if (!filter) return std::unexpected(filter.error());
    auto events = store.listEvents(*filter);
    if (!events) return std::unexpected(events.error());
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : *events) out.push_back(store::AuditQuery::eventToJson(e));
    return ApiResponse{200, out};
  });

  api.route("GET", "/api/v1/audit/verify", Access::global("viewer"), [&store, &seal](const ApiRequest&) -> Result<ApiResponse> {
    auto v = seal.verify(store);
    if (!v) return std::unexpected(v.error());
    return ApiResponse{200, v->toJson()};
  });

  api.route("POST", "/api/v1/audit/seal", Access::global("admin"),
            [&store, &seal, sealNow](const ApiRequest& r) -> Result<ApiResponse> {
    if (auto s = onlyFields(r.body, {}); !s) return std::unexpected(s.error());
    if (auto s = sealNow ? sealNow() : seal.update(store); !s) return std::unexpected(s.error());
    auto v = seal.verify(store);
    if (!v) return std::unexpected(v.error());
    return ApiResponse{200, v->toJson()};
  });
}

}  // namespace ramp::server
