// ApprovalRequest.h — a deployment's request for approval, as persisted in
// its record (doc key "approval") and shown by `ramp approvals` / status.
//
// JSON form (times are Unix ms in the record; the API adds ISO strings):
//   {"requester": "alice", "required": 2, "roles": ["approver"],
//    "requested_at": ms, "expires_at": ms | 0 (never),
//    "approvals": [{"by": "bob", "at": ms, "comment": "..."}],
//    "rejected_by": "", "comment": ""}
// `approvals` holds each person at most once (ApprovalPolicyCheck refuses a
// second approval by the same person, and the requester's own).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ramp::engine {

struct Approval {
  std::string by;
  int64_t at = 0;
  std::string comment;
};

struct ApprovalRequest {
  std::string requester;
  int required = 0;
  std::vector<std::string> roles;  // roles allowed to approve (empty = approver)
  int64_t requestedAt = 0;
  int64_t expiresAt = 0;           // 0 = never
  std::vector<Approval> approvals;
  std::string rejectedBy;
  std::string comment;             // the rejection's

  bool empty() const { return required == 0 && requester.empty(); }
  // Distinct approvers other than the requester.
  int count() const;
  bool satisfied() const { return count() >= required; }

  nlohmann::json toJson() const;
  // For the API and status: times as RFC 3339, "roles" never empty
  // (["approver"] when the policy names none), "approvals_count"; null when
  // there is no request.
  nlohmann::json toApiJson() const;
  static ApprovalRequest fromJson(const nlohmann::json& j);  // tolerant: missing keys = defaults
};

}  // namespace ramp::engine
