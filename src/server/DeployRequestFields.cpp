#include "server/DeployRequestFields.h"

#include <algorithm>

#include <fmt/format.h>

namespace ramp::server {

using nlohmann::json;

Status refuseComputedFields(const json& body, const std::vector<std::string>& allowed) {
  for (const auto& f : kComputedFields) {
    if (body.contains(f)) {
      return invalid("is decided by the controller from its config of record, never by a request (a request "
                     "names service, env, version, region and options; change the configuration with `ramp "
                     "config push`)",
                     f);
    }
  }
  return onlyFields(body, allowed);
}

namespace {

Result<bool> optionalBool(const json& body, const std::string& field) {
  if (!body.contains(field) || body[field].is_null()) return false;
  if (!body[field].is_boolean()) return invalid("must be a boolean", field);
  return body[field].get<bool>();
}

}  // namespace

Status readDeployOptions(const ApiRequest& r, engine::DeployRequest& req) {
  auto region = optionalString(r.body, "region");
  if (!region) return std::unexpected(region.error());
  if (*region && (*region)->empty()) return invalid("must not be empty (leave it out for every region)", "region");
  req.region = region->value_or("");
  auto hotfix = optionalBool(r.body, "hotfix");
  if (!hotfix) return std::unexpected(hotfix.error());
  auto reason = optionalString(r.body, "reason");
  if (!reason) return std::unexpected(reason.error());
  auto queue = optionalBool(r.body, "queue");
  if (!queue) return std::unexpected(queue.error());
  auto allRegions = optionalBool(r.body, "rollback_all_regions");
  if (!allRegions) return std::unexpected(allRegions.error());
  req.hotfix = *hotfix;
  req.hotfixReason = reason->value_or("");
  req.queue = *queue;
  req.rollbackAllRegions = *allRegions;
  req.actor = r.actor;
  if (req.hotfix && req.hotfixReason.find_first_not_of(" \t\r\n") == std::string::npos) {
    return invalid("a hotfix needs a non-empty reason", "reason");
  }
  if (!req.hotfix && reason->has_value()) return invalid("a reason goes with \"hotfix\": true only", "reason");
  if (req.hotfix && !r.principal.has("hotfix", req.env)) {
    return fail(ErrorCode::kPermissionDenied,
                fmt::format("{} lacks the hotfix role in {}; a hotfix ships out of pipeline order", r.actor, req.env),
                "hotfix");
  }
  return ok();
}

Status checkStrategyOverride(const engine::DeployRequest& req) {
  if (!req.strategy) return ok();
  const json& rendered = req.waves.empty() ? req.rendered : req.waves.front().rendered;
  int approvals = 0;
  if (rendered.contains("environment") && rendered["environment"].is_object()) {
    const auto& a = rendered["environment"].value("approval", json::object());
    if (a.is_object()) approvals = a.value("approvals", 0);
  }
  std::string configured;
  if (rendered.contains("strategy") && rendered["strategy"].is_object()) {
    configured = rendered["strategy"].value("type", "");
  }
  if (approvals > 0 && *req.strategy != configured) {
    return invalid(fmt::format("{}'s policy asks for {} approval(s): its deployments use the strategy of the config "
                               "of record ({}); change it with `ramp config push`",
                               req.env, approvals, configured),
                   "strategy");
  }
  return ok();
}

}  // namespace ramp::server
