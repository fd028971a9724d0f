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
//        needs deployer in env. 409 when another apply holds the lock
//        infra/<project>/<env>.
//        An environment whose approval policy asks for approvals
//        (approval.approvals > 0) is not applied at once: the plan (fresh,
//        or the saved one, refused 412 when stale) is recorded as a pending
//        InfraChange (infra/InfraChange.h) and the answer is
//        -> 202 {"change": CHANGE, "plan": PlanJson, "text": PlanText}
//        (audit infra.apply_requested). A no-op plan with nothing to resume
//        needs no approval (200 as above).
//   GET  /api/v1/infra/changes[?env=E][&all=true] -> [CHANGE + "may_approve"]
//        the open changes (pending, approved, applying), oldest first; with
//        all=true the last 100 of any state, newest first. Needs viewer in
//        ?env (or in some env); only changes of envs the caller views.
//   GET  /api/v1/infra/changes/{id} -> CHANGE (viewer in its env; 404 unknown)
//   POST /api/v1/infra/changes/{id}/approve {"comment"?} -> 200 CHANGE
//   POST /api/v1/infra/changes/{id}/reject  {"comment"}  -> 200 CHANGE
//        Viewer in the change's env to call; the policy's roles decide
//        (engine/ApprovalPolicyCheck): 403 for the requester's own change
//        or a caller without an allowed role, 412 for a change that is not
//        pending (applied, failed, rejected, expired, approved), 400 for a
//        rejection without a comment, 404 for an unknown id. The last
//        approval applies exactly the recorded plan before answering
//        (state applied, or failed: "stale: state changed since the plan,
//        plan again" when the state moved since, nothing applied). Audit:
//        infra.apply_approved / infra.apply_rejected / infra.apply_expired /
//        infra.apply_failed, and the Applier's infra.applied with
//        approved_by and plan_digest.
//   CHANGE = {"id": "infra-<hex>", "kind": "infra_change", "project", "env",
//        "state", "reason", "requester", "created_at", "updated_at",
//        "plan_digest", "changes": N, "summary", "regions", "approval":
//        ApprovalRequest::toApiJson(), "apply_id", "report", "approve_command"}
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
#include <functional>

#include "core/Clock.h"
#include "record/ConfigOfRecord.h"
#include "server/ApiServer.h"
#include "store/Store.h"

namespace ramp::server {

// `config` (optional): the config of record, whose approval policy in force
// decides whether an apply waits for approval (never the request's config).
// `applied` is called after every apply that changed something (the
// deployment providers then read the infrastructure again: a rule an apply
// recreated gets its weights back at once).
void addInfraRoutes(ApiServer& api, store::Store& st, const std::filesystem::path& home,
                    const std::filesystem::path& rampBinary, Clock& clock, record::ConfigOfRecord* config = nullptr,
                    std::function<void()> applied = {});
// Followers: the same routes, forwarded to the leader.
void forwardInfraRoutes(ApiServer& api, const ApiServer::Handler& forward);
// The leader's loop calls this every tick (it acts at most once a second):
// pending changes past their expiry become "expired"; approved or applying
// changes (a controller killed after the approval) are applied, waiting for
// the env's apply lock of a dead controller to expire. Nothing to do = one
// settings read.
Status tickInfraChanges(store::Store& st, const std::filesystem::path& home, const std::filesystem::path& rampBinary,
                        Clock& clock);

}  // namespace ramp::server
