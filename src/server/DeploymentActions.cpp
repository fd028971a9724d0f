#include "server/DeploymentActions.h"

#include <fmt/format.h>

#include "engine/ApprovalRequest.h"

namespace ramp::server {

using nlohmann::json;

json actionsFor(const Principal& who, const engine::Deployment& d, bool newestStarted) {
  json out = json::array();
  const bool terminal = engine::isTerminalState(d.state);
  const bool gate = engine::isGate(d.phase);
  const bool undoing = engine::isUndoing(d.phase);
  const bool deployer = who.has("deployer", d.env);
  const std::string where = fmt::format("{} {} in {}", d.service, d.version, d.env);
  auto add = [&](const char* action, const char* label, json path, json body, std::string confirm, bool danger,
                 bool commentRequired = false) {
    out.push_back({{"action", action},
                   {"label", label},
                   {"method", "POST"},
                   {"path", std::move(path)},
                   {"body", std::move(body)},
                   {"confirm", std::move(confirm)},
                   {"danger", danger},
                   {"comment_required", commentRequired}});
  };
  const json control{{"service", d.service}, {"env", d.env}};
  auto controlBody = [&](const char* action) {
    json b = control;
    b["action"] = action;
    return b;
  };
  if (deployer && !terminal && !gate && !undoing && d.state != engine::kPaused) {
    add("pause", "Pause", "/api/v1/control", controlBody("pause"),
        fmt::format("Pause {} at its current step and weights?", where), false);
  }
  if (deployer && d.state == engine::kPaused) {
    add("resume", "Resume", "/api/v1/control", controlBody("resume"), fmt::format("Resume {}?", where), false);
  }
  if (deployer && !terminal && !undoing && engine::isCanaryStep(d.phase)) {
    add("promote-now", "Promote now", "/api/v1/control", controlBody("promote-now"),
        fmt::format("Skip the remaining canary steps and send all traffic of {} to {}?", d.env, d.version), true);
  }
  if (deployer && !terminal && !undoing) {
    add("abort", "Abort", "/api/v1/control", controlBody("abort"),
        fmt::format("Abort {}: traffic back to the stable fleet, the new fleet retired?", where), true);
  }
  bool warm = !d.oldFleet.empty() && !gate && !undoing && d.phase != engine::Phase::kDone && d.phase != engine::Phase::kRetirePrevious;
  if (deployer && newestStarted && (d.state == engine::kSucceeded || (d.state == engine::kRunning && warm))) {
    add("rollback", "Roll back", "/api/v1/rollback", control,
        fmt::format("Roll {} back to the previous release{}?", d.env,
                    warm ? " (its fleet is still warm: one traffic switch)" : " (redeployed as a new fleet)"),
        true);
  }
  if (d.state == engine::kAwaitingApproval && d.phase == engine::Phase::kApproval) {
    const auto& req = d.approval;
    std::vector<std::string> roles = req.roles.empty() ? std::vector<std::string>{"approver"} : req.roles;
    bool mayDecide = false;
    for (const auto& r : roles) mayDecide = mayDecide || who.has(r, d.env);
    std::string approvals = fmt::format("/api/v1/approvals/{}/", d.id);
    if (mayDecide && who.user != req.requester) {
      add("approve", "Approve", approvals + "approve", json::object(),
          fmt::format("Approve {} (requested by {})?", where, req.requester), false);
    }
    if (mayDecide || who.user == req.requester) {
      add("reject", who.user == req.requester ? "Withdraw" : "Reject", approvals + "reject", json::object(),
          fmt::format("Reject {}? It will not run.", where), true, true);
    }
  }
  return out;
}

}  // namespace ramp::server
