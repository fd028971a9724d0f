#include "engine/ApprovalPolicyCheck.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/Duration.h"

namespace ramp::engine {

using nlohmann::json;

namespace {

Result<config::TimeWindow> windowOf(const json& j, const std::string& where) {
  if (!j.is_object()) return invalid("expected a time window object", where);
  config::TimeWindow w;
  try {
    if (j.contains("days") && !j["days"].is_null()) w.days = j["days"].get<std::vector<std::string>>();
    if (j.contains("hours") && j["hours"].is_string()) w.hours = j["hours"];
    if (j.contains("timezone") && j["timezone"].is_string()) w.timezone = j["timezone"];
  } catch (const std::exception& e) {
    return invalid(std::string("malformed time window: ") + e.what(), where);
  }
  return w;
}

}  // namespace

Result<config::ApprovalPolicy> ApprovalPolicyCheck::policyOf(const json& rendered) {
  config::ApprovalPolicy p;
  if (!rendered.is_object() || !rendered.contains("environment") || !rendered["environment"].is_object()) return p;
  const json& env = rendered["environment"];
  if (!env.contains("approval") || !env["approval"].is_object()) return p;
  const json& a = env["approval"];
  const std::string base = "rendered.environment.approval";
  if (a.contains("approvals") && !a["approvals"].is_null()) {
    if (!a["approvals"].is_number_integer() || a["approvals"].get<int>() < 0) {
      return invalid("must be a whole number >= 0", base + ".approvals");
    }
    p.approvals = a["approvals"].get<int>();
  }
  if (a.contains("roles") && a["roles"].is_array()) {
    for (const auto& r : a["roles"]) {
      if (!r.is_string()) return invalid("must be a list of role names", base + ".roles");
      p.roles.push_back(r);
    }
  }
  if (a.contains("window") && !a["window"].is_null()) {
    auto w = windowOf(a["window"], base + ".window");
    if (!w) return std::unexpected(w.error());
    p.window = *w;
  }
  if (a.contains("freeze") && a["freeze"].is_array()) {
    for (size_t i = 0; i < a["freeze"].size(); ++i) {
      auto w = windowOf(a["freeze"][i], fmt::format("{}.freeze[{}]", base, i));
      if (!w) return std::unexpected(w.error());
      p.freeze.push_back(*w);
    }
  }
  if (a.contains("expires") && a["expires"].is_string()) {
    auto d = parseDuration(a["expires"].get<std::string>());
    if (!d) return invalid(d.error().message, base + ".expires");
    p.expires = *d;
  }
  return p;
}

std::optional<ApprovalRequest> ApprovalPolicyCheck::request(const config::ApprovalPolicy& policy,
                                                            const std::string& requester, int64_t nowMs) {
  if (policy.approvals <= 0) return std::nullopt;
  ApprovalRequest r;
  r.requester = requester;
  r.required = policy.approvals;
  r.roles = policy.roles;
  r.requestedAt = nowMs;
  r.expiresAt = policy.expires ? nowMs + policy.expires->count() : 0;
  return r;
}

bool ApprovalPolicyCheck::mayApprove(const ApprovalRequest& req, const std::set<std::string>& roles) {
  if (roles.contains("admin")) return true;
  if (req.roles.empty()) return roles.contains("approver");
  for (const auto& r : req.roles) {
    if (roles.contains(r)) return true;
  }
  return false;
}

namespace {

std::string rolesText(const ApprovalRequest& req) {
  if (req.roles.empty()) return "approver";
  std::string s;
  for (const auto& r : req.roles) s += (s.empty() ? "" : " or ") + r;
  return s;
}

}  // namespace

ApprovalVerdict ApprovalPolicyCheck::judgeApproval(const ApprovalRequest& req, const std::string& actor,
                                                   const std::set<std::string>& roles, int64_t nowMs) {
  ApprovalVerdict v;
  v.countAfter = req.count();
  if (req.required <= 0) {
    v.reason = "this deployment needs no approval";
  } else if (!req.rejectedBy.empty()) {
    v.reason = "the request was already rejected by " + req.rejectedBy;
  } else if (req.satisfied()) {
    v.reason = fmt::format("the request already has its {} approval(s)", req.required);
  } else if (expired(req, nowMs)) {
    v.reason = "the request has expired";
  } else if (actor.empty()) {
    v.reason = "an approval needs a named person";
  } else if (actor == req.requester) {
    v.reason = actor + " requested this deployment and cannot approve it (four-eyes: another person must)";
  } else if (std::any_of(req.approvals.begin(), req.approvals.end(), [&](const Approval& a) { return a.by == actor; })) {
    v.reason = fmt::format("{} already approved it; each person counts once ({} of {} approvals)", actor,
                           req.count(), req.required);
  } else if (!mayApprove(req, roles)) {
    v.reason = fmt::format("{} lacks the role to approve it (needs {})", actor, rolesText(req));
  } else {
    v.accepted = true;
    v.countAfter = req.count() + 1;
    v.satisfied = v.countAfter >= req.required;
  }
  return v;
}

ApprovalVerdict ApprovalPolicyCheck::judgeRejection(const ApprovalRequest& req, const std::string& actor,
                                                    const std::set<std::string>& roles, const std::string& comment,
                                                    int64_t nowMs) {
  ApprovalVerdict v;
  v.countAfter = req.count();
  bool blank = comment.find_first_not_of(" \t\r\n") == std::string::npos;
  if (req.required <= 0) {
    v.reason = "this deployment needs no approval";
  } else if (!req.rejectedBy.empty()) {
    v.reason = "the request was already rejected by " + req.rejectedBy;
  } else if (req.satisfied()) {
    v.reason = "the request is already approved";
  } else if (expired(req, nowMs)) {
    v.reason = "the request has expired";
  } else if (blank) {
    v.reason = "a rejection needs a comment saying why";
  } else if (actor != req.requester && !mayApprove(req, roles)) {
    v.reason = fmt::format("{} lacks the role to reject it (needs {})", actor, rolesText(req));
  } else {
    v.accepted = true;
  }
  return v;
}

}  // namespace ramp::engine
