// DeployRequestFields.h — what a deployment or promotion request may say,
// and what it may never say (issue 15; docs/access.md "Trust model").
//
// A request names WHAT to deploy: service, env (or "to"), version (deploys),
// region (one of the environment's regions in the config of record; absent
// = all of them, in waves), and options: strategy (only where the
// environment's policy in force asks for no approvals), hotfix + reason
// (needs the hotfix role), queue, rollback_all_regions. Everything the
// controller decides — the rendered config, its digest and git state, the
// pipeline, the later stages, the waves' configs, approvals, auto-promotion
// — it computes from its config of record (record/ConfigOfRecord.h). A
// request that tries to set one of those is refused 400 naming the field;
// any other unknown field is refused 400 too. Nothing is changed by a
// refused request.
#pragma once

#include <string>
#include <vector>

#include "core/Result.h"
#include "engine/Engine.h"
#include "server/ApiServer.h"

namespace ramp::server {

// Fields the controller computes; a request carrying one is refused.
inline const std::vector<std::string> kComputedFields{
    "rendered", "config_digest", "config_version", "git_commit", "git_dirty", "pipeline", "later_stages",
    "waves", "approval", "auto_promote", "digest", "environment", "policy"};

// 400 naming the first computed field present, else the first unknown one.
Status refuseComputedFields(const nlohmann::json& body, const std::vector<std::string>& allowed);

// region, hotfix + reason (403 without the hotfix role in req.env), queue,
// rollback_all_regions; and the actor. req.env must be set.
Status readDeployOptions(const ApiRequest& r, engine::DeployRequest& req);

// After ConfigOfRecord::fill: a strategy override is accepted only where
// the environment's policy in force asks for no approvals (400 "strategy").
Status checkStrategyOverride(const engine::DeployRequest& req);

}  // namespace ramp::server
