// InfraRoutes.h — the API of infrastructure as code (docs/infra.md, "Apply,
// state, locks, drift"):
//
//   POST /api/v1/infra/plan   {"env", "config", "config_name"?, "regions"?: [..], "refresh"?: true}
//        -> 200 {"plan": PlanJson, "text": PlanText, "no_op": bool}
//        needs viewer in env (every role implies viewer).
//   POST /api/v1/infra/apply  {"env", "config", "config_name"?, "regions"?, "refresh"?,
//                              "plan"?: PlanJson (a saved plan: applied exactly, refused 412
//                              naming the region when the state changed since),
//                              "allow_destroy"?, "parallel_regions"?, "continue_on_region_failure"?}
//        -> 200 {"report": ApplyReport, "plan": PlanJson, "text": PlanText}
//        needs deployer in env. An environment whose approval policy asks
//        for approvals (approval.approvals > 0) is refused 403 naming the
//        policy (applies through an approved request are not wired yet).
//        409 when another apply holds the lock infra/<project>/<env>.
//   POST /api/v1/infra/drift  {"env", "config", "config_name"?, "regions"?}
//        -> 200 {"report": DriftReport, "text": ...}
//        needs viewer in env.
// "config" is the text of ramp.yaml (the CLI sends the file it read); the
// controller parses it (errors: 400 naming FILE:LINE:COL). The provider is
// the environment's: local → LocalInfraProvider (the world's router);
// aws → infra::aws::AwsInfraProvider (credentials chain, AWS_ENDPOINT_URL
// honoured).
#pragma once

#include <filesystem>

#include "core/Clock.h"
#include "server/ApiServer.h"
#include "store/Store.h"

namespace ramp::server {

void addInfraRoutes(ApiServer& api, store::Store& st, const std::filesystem::path& home,
                    const std::filesystem::path& rampBinary, Clock& clock);
// Followers: the same routes, forwarded to the leader.
void forwardInfraRoutes(ApiServer& api, const ApiServer::Handler& forward);

}  // namespace ramp::server
