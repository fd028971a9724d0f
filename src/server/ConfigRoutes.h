// ConfigRoutes.h — the API of the config of record (record/ConfigOfRecord.h;
// docs/access.md "Who may change the config of record"):
//
//   POST /api/v1/config {"files": [{"name", "text"}], "message"?,
//        "git_commit"?, "git_dirty"?, "dry_run"?: bool}
//        -> 201 {"state": "in_force" | "pending", "version", "id": "cfg-N",
//                "base_version", "digest", "impact", "summary", "diff",
//                "approvals": {env: request}}   (pending: 202)
//        -> 200 the same with state "unchanged" (identical to the version in
//           force) or "dry_run" (nothing recorded)
//        400 with every FILE:LINE:COL problem (the loader of `ramp validate`)
//        or naming the body field; 403 naming the role, the environment and
//        the change that needs it; 409 when another push took effect first.
//        Access: deployer in some environment; the push's effect decides the
//        rest (deployer where a service changes, admin where a policy does).
//   GET  /api/v1/config[?version=N] -> the version (in force without
//        ?version) with its files' texts; 404 before the first push.
//   GET  /api/v1/config/versions[?limit=N] -> [versions, newest first,
//        without texts] (limit 1..1000, default 100)
//        Both reads: viewer in some environment.
// Pending pushes are decided through /api/v1/approvals/cfg-N/approve|reject
// (PipelineRoutes.h).
#pragma once

#include "record/ConfigOfRecord.h"
#include "server/ApiServer.h"

namespace ramp::server {

void addConfigRoutes(ApiServer& api, record::ConfigOfRecord& config);
// Followers: the write forwarded to the leader, the reads served too (they
// only read the shared store).
void forwardConfigRoutes(ApiServer& api, record::ConfigOfRecord& config, const ApiServer::Handler& forward);

}  // namespace ramp::server
