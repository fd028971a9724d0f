#include "alerts/Notifier.h"

namespace ramp::alerts {

namespace {

constexpr size_t kRemembered = 4096;

std::string text(const nlohmann::json& data, const char* key) {
  if (!data.is_object() || !data.contains(key) || !data[key].is_string()) return {};
  return data[key].get<std::string>();
}

nlohmann::json alertsOf(const nlohmann::json& rendered) {
  if (!rendered.is_object()) return nlohmann::json::array();
  if (rendered.contains("alerts") && rendered["alerts"].is_array()) return rendered["alerts"];
  if (rendered.contains("service") && rendered["service"].is_object() && rendered["service"].contains("alerts") &&
      rendered["service"]["alerts"].is_array()) {
    return rendered["service"]["alerts"];
  }
  return nlohmann::json::array();
}

}  // namespace

std::optional<DeploymentEvent> Notifier::alertFor(const store::AuditEvent& e, const nlohmann::json& rendered) {
  if (e.kind.starts_with("notification.")) return std::nullopt;
  const auto& d = e.data;
  std::string state = text(d, "state");
  std::string what;
  if (e.kind == "deployment.finished" && state == "failed") {
    what = "deployment.failed";
  } else if (e.kind == "deployment.finished" && state == "rolled_back") {
    what = "deployment.rolled_back";
  } else if (e.kind == "approval.requested" ||
             (e.kind.starts_with("deployment.") && state == "awaiting_approval")) {
    what = "approval.requested";
  } else if (e.kind == "hotfix.started" ||
             (e.kind == "deployment.created" &&
              ((d.is_object() && d.contains("hotfix") && d["hotfix"] == true) || text(d, "kind") == "hotfix"))) {
    what = "hotfix.started";
  } else {
    return std::nullopt;
  }
  DeploymentEvent out;
  out.event = what;
  out.service = e.service;
  out.env = e.env;
  out.deploymentId = e.deploymentId;
  out.version = text(d, "version");
  out.reason = text(d, "reason");
  out.actor = e.actor;
  out.seq = e.seq;
  out.time = e.time;
  out.alerts = alertsOf(rendered);
  return out;
}

bool Notifier::onAudit(const store::AuditEvent& e, const nlohmann::json& rendered) {
  auto ev = alertFor(e, rendered);
  if (!ev || ev->alerts.empty()) return false;
  {
    std::lock_guard lock(mu_);
    std::string key = (ev->deploymentId.empty() ? "seq" + std::to_string(e.seq) : ev->deploymentId) + "|" + ev->event;
    if (!seen_.insert(key).second) return false;
    order_.push_back(key);
    while (order_.size() > kRemembered) {
      seen_.erase(order_.front());
      order_.pop_front();
    }
  }
  notify(*ev);
  return true;
}

}  // namespace ramp::alerts
