#include "server/ControlRoutes.h"

namespace ramp::server {

void addControlRoutes(ApiServer& api, engine::Engine& engine) {
  api.route("POST", "/api/v1/control", Access::bodyEnv("deployer"), [&engine](const ApiRequest& r) -> Result<ApiResponse> {
    if (auto s = onlyFields(r.body, {"service", "env", "action", "comment"}); !s) return std::unexpected(s.error());
    auto service = requireString(r.body, "service");
    if (!service) return std::unexpected(service.error());
    auto env = requireString(r.body, "env");
    if (!env) return std::unexpected(env.error());
    auto action = requireString(r.body, "action");
    if (!action) return std::unexpected(action.error());
    auto comment = optionalString(r.body, "comment");  // why, recorded with the action
    if (!comment) return std::unexpected(comment.error());
    auto d = engine.control(*service, *env, *action, r.actor, comment->value_or(""));
    if (!d) return std::unexpected(d.error());
    return ApiResponse{200, {{"id", d->id}, {"state", d->state}, {"phase", d->phase}, {"reason", d->reason}}};
  });
}

}  // namespace ramp::server
