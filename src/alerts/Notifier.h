// Notifier.h — telling people about deployments that need them.
//
// An interface: notify() hands over one event and returns at once (it must
// never block or fail a deployment; delivery problems are the notifier's to
// record). onAudit() is what the controller calls for each new audit event:
// it decides from the event's kind and data whether to notify, with the
// alert destinations of the deployment's rendered config:
//
//   deployment.finished, state failed        -> deployment.failed
//   deployment.finished, state rolled_back   -> deployment.rolled_back
//   approval.requested, or any deployment.*
//     event with state awaiting_approval     -> approval.requested
//   hotfix.started, or deployment.created
//     with data.hotfix true / kind hotfix    -> hotfix.started
//
// Each (deployment, event) is notified once per process (a deployment that
// records several phases while awaiting approval alerts once). Events of
// kind notification.* never notify. Thread-safe.
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

 private:
  std::mutex mu_;
  std::set<std::string> seen_;     // "deployment|event"
  std::deque<std::string> order_;  // bounds seen_
};

}  // namespace ramp::alerts
