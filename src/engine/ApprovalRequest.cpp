#include "engine/ApprovalRequest.h"

#include <set>

#include "core/Clock.h"

namespace ramp::engine {

using nlohmann::json;

int ApprovalRequest::count() const {
  std::set<std::string> people;
  for (const auto& a : approvals) {
    if (a.by != requester) people.insert(a.by);
  }
  return static_cast<int>(people.size());
}

json ApprovalRequest::toJson() const {
  json list = json::array();
  for (const auto& a : approvals) list.push_back({{"by", a.by}, {"at", a.at}, {"comment", a.comment}});
  return {{"requester", requester},   {"required", required},     {"roles", roles},
          {"requested_at", requestedAt}, {"expires_at", expiresAt}, {"approvals", list},
          {"rejected_by", rejectedBy}, {"comment", comment}};
}

ApprovalRequest ApprovalRequest::fromJson(const json& j) {
  ApprovalRequest r;
  if (!j.is_object()) return r;
  r.requester = j.value("requester", "");
  r.required = j.value("required", 0);
  if (j.contains("roles") && j["roles"].is_array()) {
    for (const auto& x : j["roles"])
      if (x.is_string()) r.roles.push_back(x);
  }
  r.requestedAt = j.value("requested_at", int64_t{0});
  r.expiresAt = j.value("expires_at", int64_t{0});
  if (j.contains("approvals") && j["approvals"].is_array()) {
    for (const auto& a : j["approvals"]) {
      if (!a.is_object()) continue;
      r.approvals.push_back({a.value("by", ""), a.value("at", int64_t{0}), a.value("comment", "")});
    }
  }
  r.rejectedBy = j.value("rejected_by", "");
  r.comment = j.value("comment", "");
  return r;
}

json ApprovalRequest::toApiJson() const {
  const ApprovalRequest& req = *this;
  if (req.empty()) return nullptr;
  json approvals = json::array();
  for (const auto& a : req.approvals) {
    approvals.push_back({{"by", a.by}, {"at", formatTime(fromUnixMillis(a.at))}, {"comment", a.comment}});
  }
  return {{"requester", req.requester},
          {"required", req.required},
          {"approvals_count", req.count()},
          {"roles", req.roles.empty() ? json::array({"approver"}) : json(req.roles)},
          {"approvals", approvals},
          {"requested_at", formatTime(fromUnixMillis(req.requestedAt))},
          {"expires_at", req.expiresAt ? json(formatTime(fromUnixMillis(req.expiresAt))) : json(nullptr)},
          {"rejected_by", req.rejectedBy.empty() ? json(nullptr) : json(req.rejectedBy)},
          {"comment", req.comment}};
}

}  // namespace ramp::engine
