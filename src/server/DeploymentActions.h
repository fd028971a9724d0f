// DeploymentActions.h — which actions a caller may take on a deployment
// now: the dashboard shows exactly these (and the test fails when a role
// sees one it may not take). One rule, pure, from the caller's roles
// (Principal::has, the same rule the routes' Access checks apply) and the
// deployment's state:
//   pause        deployer; running, started, not being undone
//   resume       deployer; paused
//   promote-now  deployer; in the canary steps (canary_*)
//   abort        deployer; not ended, not being undone
//   rollback     deployer; the newest started deployment of its service and
//                environment that succeeded, or that runs with its previous
//                fleet still warm
//   approve      awaiting approval; one of the approval's roles (or admin)
//                in the environment, and not the requester (four-eyes)
//   reject       awaiting approval; one of those roles, or the requester
//                (withdrawing their own request)
// Each action carries the request that performs it (method, path, body
// without the comment) and the question to confirm it with. The API still
// decides: a request the rules here got wrong is refused there.
#pragma once

#include <nlohmann/json.hpp>

#include "engine/Deployment.h"
#include "server/Principal.h"

namespace ramp::server {

// [{"action", "label", "method", "path", "body", "confirm", "danger",
//   "comment_required"}]
nlohmann::json actionsFor(const Principal& who, const engine::Deployment& d, bool newestStarted);

}  // namespace ramp::server
