// PipelineRoutes.h — the API of promotion, approvals and hotfixes
// (docs/pipeline.md):
//
//   POST /api/v1/promotions  {"service", "to", "region"?, "rendered",
//        "config_digest", "git_commit"?, "git_dirty"?, "pipeline": [env...],
//        "later_stages"?: {env: rendered}, "queue"?: bool}
//        -> 201 the deployment (the controller picks the release that last
//        succeeded in the stage before; refused 412 with the reason)
//        needs role deployer in "to".
//   GET  /api/v1/approvals[?service=S&env=E] -> [deployments awaiting
//        approval, oldest first, each with "approval" and "may_approve"
//        (whether the caller may approve it)]
//   POST /api/v1/approvals/{id}/approve {"comment"?}   -> 200 the deployment
//   POST /api/v1/approvals/{id}/reject  {"comment"}    -> 200 (comment required)
//        403 for the requester's own request or a caller without an allowed
//        role; 412 when not awaiting approval / expired / already approved.
//
// The pipeline fields of POST /api/v1/deployments ("pipeline",
// "later_stages", "hotfix", "reason", "queue") are read by
// readPipelineFields, which the deployments route calls; a hotfix needs the
// hotfix role in the environment (403 otherwise) and a non-empty reason.
#pragma once

#include <functional>

#include <set>
#include <string>

#include "engine/Engine.h"
#include "server/ApiServer.h"

namespace ramp::server {

// `learn` (optional) is shown every promotion's rendered configs (the
// target's, and each wave's) before it is submitted: the controller's
// providers learn the target environment's settings from it, as they do
// from a deployment.
void addPipelineRoutes(ApiServer& api, engine::Engine& engine,
                       std::function<Status(const engine::DeployRequest&)> learn = {});
// Followers: every pipeline route forwarded to the leader.
void forwardPipelineRoutes(ApiServer& api, const ApiServer::Handler& forward);
// The body fields of a deployment request this layer owns.
inline const std::vector<std::string> kPipelineFields{"pipeline", "later_stages", "hotfix", "reason", "queue"};
Status readPipelineFields(const ApiRequest& r, engine::DeployRequest& req);
// The fields both deployments and promotions carry from the CLI's render:
// region, rendered (an object; `renderedWhat` says what it must be),
// config_digest, git_commit, git_dirty; and the actor. 400 naming the field.
Status readRenderedFields(const ApiRequest& r, engine::DeployRequest& req, const std::string& renderedWhat);
// The roles the caller holds in `env` among the standard ones and `extra`.
std::set<std::string> rolesIn(const Principal& p, const std::string& env, const std::vector<std::string>& extra = {});
nlohmann::json pipelineDeploymentJson(const engine::Deployment& d);

}  // namespace ramp::server
