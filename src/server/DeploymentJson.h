// DeploymentJson.h — the API's view of one deployment: the object every
// route that answers with a deployment shows (GET /api/v1/deployments and
// /deployments/{id}, POST /deployments, /rollback, /promotions, the
// approvals' list and decisions, and each GET /api/v1/status entry's
// "deployment"). One definition, so a field shown by one route is shown by
// all of them under the same key (docs/cli.md, docs/pipeline.md).
//
// Keys: id, service, env, region, state, phase, strategy, kind, step, steps,
// step_names, reason, version, digest, config_digest, config_version,
// git_commit, git_dirty, new_fleet, old_fleet, rolls_back,
// rollback_all_regions, hotfix, hotfix_reason, promoted_from, created_by,
// created_at, updated_at, finished_at (RFC 3339, null when not yet), waves,
// wave (1-based, null without waves), verdict, approval (null when none),
// timing. "progress" (DeploymentProgress.h) is added by the routes that
// show it: it depends on the time of the answer.
//
// Pure: no clock, no I/O.
#pragma once

#include <nlohmann/json.hpp>

#include "engine/Deployment.h"

namespace ramp::server {

nlohmann::json deploymentJson(const engine::Deployment& d);

}  // namespace ramp::server
