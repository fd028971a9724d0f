// StatusJson.h — the JSON of `GET /api/v1/status` (ramp status --json, the
// dashboard) from the engine's typed status (engine/ServiceStatus.h): one
// object per service+env with the deployment shown, its queue, hotfix debt,
// entry points and fleets. The keys are the API's contract (docs/cli.md).
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "engine/ServiceStatus.h"

namespace ramp::server {

nlohmann::json statusJson(const std::vector<engine::ServiceStatus>& status);

}  // namespace ramp::server
