#include "server/ControlRoutes.h"

namespace ramp::server {

void addControlRoutes(ApiServer& api, engine::Engine& engine) {
  api.route("POST", "/api/v1/control", Access::bodyEnv("deployer"), [&engine](const ApiRequest& r) -> Result<ApiResponse> {
    if (auto s = onlyFields(r.body, {"service", "env", "action", "comment"}); !s) return std::unexpected(s.error());
    auto named = requireStrings(r.body, {"service", "env", "action"});
    if (!named) return std::unexpected(named.error());
    const auto& [service, env, action] = *named;
    auto comment = optionalString(r.body, "comment");  // why, recorded with the action
    if (!comment) return std::unexpected(comment.error());
    auto d = engine.control(service, env, action, r.actor, comment->value_or(""));
    if (!d) return std::unexpected(d.error());
    return ApiResponse{200, {{"id", d->id}, {"state", d->state}, {"phase", d->phase}, {"reason", d->reason}}};
  });
}

}  // namespace ramp::server
