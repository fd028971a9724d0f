// ApprovalPolicyCheck.h — the approval rules, as pure functions.
//
//   policyOf(rendered)  reads environment.approval from a rendered service
//                       config (ramp render --json) into config::ApprovalPolicy;
//                       kInvalid naming the field when it is malformed.
//   request(...)        the ApprovalRequest a new deployment gets (required,
//                       roles, expiry as an absolute time), or none when the
//                       policy needs no approval (or a hotfix bypasses it).
//   judgeApproval(...)  may `actor` (holding `roles` in the environment)
//                       approve? Refused: the requester (four-eyes), someone
//                       who already approved (each person counts once), an
//                       actor without an allowed role (policy roles, or
//                       `approver` when the policy names none; `admin` is
//                       every role), a request already rejected or expired.
//   judgeRejection(...) the same roles rule (no four-eyes: a requester may
//                       withdraw their own request); a comment is required.
//   expired(...)        pending and past its expiry.
#pragma once

#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "config/Model.h"
#include "core/Result.h"
#include "engine/ApprovalRequest.h"

namespace ramp::engine {

struct ApprovalVerdict {
  bool accepted = false;
  std::string reason;   // why refused
  int countAfter = 0;   // distinct approvals if accepted
  bool satisfied = false;
};

class ApprovalPolicyCheck {
 public:
  static Result<config::ApprovalPolicy> policyOf(const nlohmann::json& rendered);
  static std::optional<ApprovalRequest> request(const config::ApprovalPolicy& policy,
                                                const std::string& requester, int64_t nowMs);
  static ApprovalVerdict judgeApproval(const ApprovalRequest& req, const std::string& actor,
                                       const std::set<std::string>& roles, int64_t nowMs);
  static ApprovalVerdict judgeRejection(const ApprovalRequest& req, const std::string& actor,
                                        const std::set<std::string>& roles, const std::string& comment,
                                        int64_t nowMs);
  static bool expired(const ApprovalRequest& req, int64_t nowMs) {
    return req.expiresAt > 0 && nowMs >= req.expiresAt && !req.satisfied();
  }
  // True when `roles` hold one of the roles allowed to approve `req`.
  static bool mayApprove(const ApprovalRequest& req, const std::set<std::string>& roles);
};

}  // namespace ramp::engine
