// Notifier.h — telling people about deployments that need them.
//
// An interface: notify() hands over one event and returns at once (it must
// never block or fail a deployment; delivery problems are the notifier's to
// record). onAudit() decides from an audit event's kind and data whether to
// notify (the rule: engine/AlertRule.h), with the alert destinations of the
// deployment's rendered config. Each (deployment, event) is notified once
// per process (a deployment that records several phases while awaiting
// approval alerts once). The controller does not use this path: its alerts
// are written with their events into the store's outbox and sent by
// OutboxSender; this is the in-memory path for embedding. Thread-safe.
#pragma once

#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "alerts/DeploymentEvent.h"
#include "store/Store.h"

namespace ramp::alerts {

class Notifier {
 public:
  virtual ~Notifier() = default;
  // Must return at once; never throws.
  virtual void notify(const DeploymentEvent& event) = 0;

  // true when it notified. `rendered` is the deployment's effective config
  // (its "alerts" list, at the top or under "service"); no alerts, no notice.
  bool onAudit(const store::AuditEvent& event, const nlohmann::json& rendered);

  // The decision alone (see above); nullopt when the event is not alerted on.
  static std::optional<DeploymentEvent> alertFor(const store::AuditEvent& event,
                                                 const nlohmann::json& rendered);
  // The message about `event` for an alert named `name` (no destinations).
  static DeploymentEvent describe(const store::AuditEvent& event, const std::string& name);

 private:
  std::mutex mu_;
  std::set<std::string> seen_;     // "deployment|event"
  std::deque<std::string> order_;  // bounds seen_
};

}  // namespace ramp::alerts
