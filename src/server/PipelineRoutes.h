// PipelineRoutes.h — the API of promotion, approvals and hotfixes
// (docs/pipeline.md):
//
//   POST /api/v1/promotions  {"service", "to", "region"?, "queue"?: bool,
//        "rollback_all_regions"?: bool}
//        -> 201 the deployment (the controller picks the release that last
//        succeeded in the stage before; refused 412 with the reason). The
//        target's rendered config, pipeline and policy come from the config
//        of record in force (record/ConfigOfRecord.h); a body that tries to
//        set them is refused 400 naming the field (DeployRequestFields.h).
//        Needs role deployer in "to".
//   GET  /api/v1/approvals[?service=S&env=E] -> [deployments awaiting
//        approval, oldest first, each with "approval" and "may_approve"
//        (whether the caller may approve it); then pending pushes of the
//        config of record (kind "config_change", id "cfg-N", "approvals"
//        per protected environment) for viewers of those environments]
//   POST /api/v1/approvals/{id}/approve {"comment"?}   -> 200 the deployment
//        (or the config change, for an id "cfg-N")
//   POST /api/v1/approvals/{id}/reject  {"comment"}    -> 200 (comment required)
//        403 for the requester's own request or a caller without an allowed
//        role; 412 when not awaiting approval / expired / already approved.
#pragma once

#include <functional>

#include <set>
#include <string>

#include "engine/Engine.h"
#include "record/ConfigOfRecord.h"
#include "server/ApiServer.h"

namespace ramp::server {

// `learn` (optional) is shown every promotion's rendered configs (the
// target's, and each wave's) before it is submitted: the controller's
// providers learn the target environment's settings from it, as they do
// from a deployment.
void addPipelineRoutes(ApiServer& api, engine::Engine& engine, record::ConfigOfRecord& config,
                       std::function<Status(const engine::DeployRequest&)> learn = {});
// Followers: every pipeline route forwarded to the leader.
void forwardPipelineRoutes(ApiServer& api, const ApiServer::Handler& forward);
// The roles the caller holds in `env` among the standard ones and `extra`.
std::set<std::string> rolesIn(const Principal& p, const std::string& env, const std::vector<std::string>& extra = {});

}  // namespace ramp::server
