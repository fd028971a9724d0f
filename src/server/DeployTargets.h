// DeployTargets.h — what the dashboard may offer a caller to deploy.
//
// From the config of record in force: its services, and its environments
// (pipeline order first, then the others as declared), each marked with
// whether the caller may start a deployment there — Principal::has
// ("deployer", env), the very rule POST /api/v1/deployments's Access
// applies. Pure: the route (DashboardRoutes.h) reads the config and the
// caller and returns this as it is.
//
//   {"config_version": N,
//    "services": ["crawler", ...],
//    "envs": [{"name": "int", "may_deploy": true}, ...]}
//
// Offering is a courtesy, not the check: the API still decides (roles,
// pipeline order, approvals, change freezes), and the page shows its
// refusal as it comes.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "config/Model.h"
#include "server/Principal.h"

namespace ramp::server {

nlohmann::json deployTargetsFor(const Principal& who, const config::Config& cfg, int64_t configVersion);

}  // namespace ramp::server
