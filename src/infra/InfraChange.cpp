#include "infra/InfraChange.h"

#include <set>

#include <fmt/format.h>

namespace ramp::infra {

using nlohmann::json;

json InfraChange::toJson() const {
  return {{"id", id},
          {"project", project},
          {"env", env},
          {"state", state},
          {"reason", reason},
          {"requester", requester},
          {"created_at", createdAt},
          {"updated_at", updatedAt},
          {"plan", plan},
          {"plan_digest", planDigest},
          {"no_op", noOp},
          {"config", configText},
          {"config_name", configName},
          {"regions", regions},
          {"allow_destroy", allowDestroy},
          {"continue_on_region_failure", continueOnRegionFailure},
          {"parallel_regions", parallelRegions},
          {"approval", approval},
          {"apply_id", applyId},
          {"report", report},
          {"revision", revision}};
}

namespace {

Status need(const json& j, const char* field, bool (json::*is)() const noexcept, const char* what) {
  if (!j.contains(field) || !(j[field].*is)()) {
    return invalid(fmt::format("must be {}", what), std::string("infra_change.") + field);
  }
  return ok();
}

}  // namespace

Result<InfraChange> InfraChange::fromJson(const json& j) {
  if (!j.is_object()) return invalid("must be a JSON object", "infra_change");
  for (const char* f : {"id", "project", "env", "state", "reason", "requester", "plan_digest", "config",
                        "config_name", "apply_id"}) {
    if (auto s = need(j, f, &json::is_string, "a string"); !s) return std::unexpected(s.error());
  }
  for (const char* f : {"created_at", "updated_at", "parallel_regions", "revision"}) {
    if (auto s = need(j, f, &json::is_number_integer, "a whole number"); !s) return std::unexpected(s.error());
  }
  for (const char* f : {"no_op", "allow_destroy", "continue_on_region_failure"}) {
    if (auto s = need(j, f, &json::is_boolean, "true or false"); !s) return std::unexpected(s.error());
  }
  if (auto s = need(j, "plan", &json::is_object, "a plan (object)"); !s) return std::unexpected(s.error());
  if (auto s = need(j, "approval", &json::is_object, "an approval request (object)"); !s) {
    return std::unexpected(s.error());
  }
  if (auto s = need(j, "regions", &json::is_array, "a list of region names"); !s) return std::unexpected(s.error());
  static const std::set<std::string> states{"pending", "approved", "applying", "applied",
                                            "failed",  "rejected", "expired"};
  InfraChange c;
  c.id = j["id"];
  c.project = j["project"];
  c.env = j["env"];
  c.state = j["state"];
  if (!states.contains(c.state)) {
    return invalid("must be pending, approved, applying, applied, failed, rejected or expired",
                   "infra_change.state");
  }
  if (c.id.rfind("infra-", 0) != 0) return invalid("must start with infra-", "infra_change.id");
  c.reason = j["reason"];
  c.requester = j["requester"];
  c.createdAt = j["created_at"];
  c.updatedAt = j["updated_at"];
  c.plan = j["plan"];
  c.planDigest = j["plan_digest"];
  c.noOp = j["no_op"];
  c.configText = j["config"];
  c.configName = j["config_name"];
  for (size_t i = 0; i < j["regions"].size(); ++i) {
    if (!j["regions"][i].is_string()) return invalid("must be a string", fmt::format("infra_change.regions[{}]", i));
    c.regions.push_back(j["regions"][i]);
  }
  c.allowDestroy = j["allow_destroy"];
  c.continueOnRegionFailure = j["continue_on_region_failure"];
  c.parallelRegions = j["parallel_regions"];
  c.approval = j["approval"];
  c.applyId = j["apply_id"];
  c.report = j.contains("report") ? j["report"] : json(nullptr);
  c.revision = j["revision"];
  return c;
}

bool isFinal(const std::string& state) {
  return state == "applied" || state == "failed" || state == "rejected" || state == "expired";
}

Status refuseDecision(const InfraChange& c) {
  if (c.state == "pending") return ok();
  if (isFinal(c.state)) {
    return failedPrecondition(fmt::format("{} is {} ({}); nothing is decided on it any more", c.id, c.state,
                                          c.reason.empty() ? "final" : c.reason),
                              "id");
  }
  return failedPrecondition(fmt::format("{} is already {}: it has its approvals", c.id, c.state), "id");
}

Plan remainingPlan(const Plan& plan, const std::vector<JournalEntry>& journalOfApply) {
  std::set<std::string> journaled;
  for (const auto& e : journalOfApply) journaled.insert(e.address);
  Plan out = plan;
  out.changes.clear();
  for (const auto& c : plan.changes) {
    if (!journaled.contains(c.address)) out.changes.push_back(c);
  }
  return out;
}

}  // namespace ramp::infra
