// ControlRoutes.h — the API of manual controls on a deployment in progress:
//   POST /api/v1/control {"service","env","action": pause|resume|promote-now|abort}
// Each is recorded with who did it (Engine::control). Needs deployer in env.
#pragma once

#include "engine/Engine.h"
#include "server/ApiServer.h"

namespace ramp::server {

void addControlRoutes(ApiServer& api, engine::Engine& engine);

}  // namespace ramp::server
