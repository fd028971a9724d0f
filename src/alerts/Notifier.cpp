#include "alerts/Notifier.h"

#include "engine/AlertRule.h"

namespace ramp::alerts {

namespace {

constexpr size_t kRemembered = 4096;

}  // namespace

DeploymentEvent Notifier::describe(const store::AuditEvent& e, const std::string& name) {
  const auto& d = e.data;
  auto text = [&](const char* key) {
    return d.is_object() && d.contains(key) && d[key].is_string() ? d[key].get<std::string>() : std::string();
  };
  DeploymentEvent out;
  out.event = name;
  out.service = e.service;
  out.env = e.env;
  out.deploymentId = e.deploymentId;
  out.version = text("version");
  out.reason = text("reason");
  out.actor = e.actor;
  out.seq = e.seq;
  out.time = e.time;
  return out;
}

std::optional<DeploymentEvent> Notifier::alertFor(const store::AuditEvent& e, const nlohmann::json& rendered) {
  auto name = engine::AlertRule::nameOf(e.kind, e.data);
  if (!name) return std::nullopt;
  DeploymentEvent out = describe(e, *name);
  out.alerts = engine::AlertRule::destinationsOf(rendered);
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
