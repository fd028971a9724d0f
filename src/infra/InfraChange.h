// InfraChange.h — an infrastructure apply that waits for approval
// (docs/infra.md, "Applies that need approval"; issue 9 item 4).
//
// An apply on an environment whose approval policy asks for approvals
// (approval.approvals > 0, e.g. PROD) is not carried out at once: the
// controller records an InfraChange with the exact plan it will apply (its
// PlanJson and digest), the requester and the approval request, and answers
// 202 with its id. When the last approval arrives the controller applies
// exactly that plan (the Applier: lease, journal, waves); a plan gone stale
// since ends the change "failed", nothing applied.
//
// States:  pending  -> approved -> applying -> applied | failed
//          pending  -> rejected | expired
// (approved is the short moment between the last approval and the start of
// the apply; a controller killed in approved/applying leaves the change for
// the next leader, which finishes it.) applied, failed, rejected and expired
// are final: nothing is decided on them any more.
//
// `approval` is kept as JSON in the form of engine::ApprovalRequest::toJson()
// (the server layer judges it with engine::ApprovalPolicyCheck; this layer
// knows nothing of engines). toJson/fromJson are the stored form; fromJson
// checks every field and names it (kInvalid "infra_change.<field>").
//
// Pure helpers:
//   isFinal(state)                 applied | failed | rejected | expired
//   refuseDecision(change)         why an approval/rejection cannot be taken
//                                  any more (kFailedPrecondition naming the
//                                  id and its state), ok() while pending
//   remainingPlan(plan, journal)   the plan without the changes a killed
//                                  apply of this change already journaled
//                                  (done, failed, or open intents that the
//                                  Applier resumes by itself)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/Result.h"
#include "infra/InfraState.h"
#include "infra/Plan.h"

namespace ramp::infra {

struct InfraChange {
  std::string id;                     // "infra-<12 hex>"
  std::string project;
  std::string env;
  std::string state = "pending";      // see above
  std::string reason;                 // why it is in its state (people)
  std::string requester;
  int64_t createdAt = 0;              // Unix ms
  int64_t updatedAt = 0;
  nlohmann::json plan;                // PlanJson of the plan that will be applied
  std::string planDigest;
  bool noOp = false;                  // the plan had no change (resumes open intents only)
  std::string configText;             // the ramp.yaml the plan was made from (provider of the env)
  std::string configName = "ramp.yaml";
  std::vector<std::string> regions;   // as asked (empty = all of the env's)
  bool allowDestroy = false;
  bool continueOnRegionFailure = false;
  int parallelRegions = 1;
  nlohmann::json approval = nlohmann::json::object();  // engine::ApprovalRequest::toJson()
  std::string applyId;                // set when the apply starts
  nlohmann::json report;              // ApplyReport::toJson() once applied/failed; null before
  int64_t revision = 0;               // set by InfraChangeStore: 1 on insert, +1 per update

  nlohmann::json toJson() const;
  static Result<InfraChange> fromJson(const nlohmann::json& j);
};

bool isFinal(const std::string& state);
Status refuseDecision(const InfraChange& c);
Plan remainingPlan(const Plan& plan, const std::vector<JournalEntry>& journalOfApply);

}  // namespace ramp::infra
