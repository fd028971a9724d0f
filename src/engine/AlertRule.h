// AlertRule.h — which of a deployment's audit events people must hear of,
// and where: the one rule, pure. The engine attaches the alert to the event
// when it writes it (DeploymentLedger), so the store puts the alert in its
// outbox in the same transaction (store/OutboxStore.h) and a crash can never
// separate an event from its alert; alerts/OutboxSender delivers it.
//
//   deployment.finished, state failed        -> deployment.failed
//   deployment.finished, state rolled_back   -> deployment.rolled_back
//   approval.requested, or any deployment.*
//     event with state awaiting_approval     -> approval.requested
//   hotfix.started, or deployment.created
//     with data.hotfix true / kind hotfix    -> hotfix.started
//   infra.apply_failed                       -> infra.apply_failed
//
// Events of kind notification.* never alert. The destinations are the
// `alerts` list of the rendered config (at its top or under "service"), as
// configured: references such as ${secret:NAME} stay unresolved until sent.
// No destinations, no alert. (The store keeps one alert of a name per
// deployment: a deployment awaiting approval over several phases alerts once.)
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "store/AuditStore.h"

namespace ramp::engine {

struct AlertRule {
  // The alert's name for an event of `kind` with `data`; nullopt: none.
  static std::optional<std::string> nameOf(const std::string& kind, const nlohmann::json& data);
  // The configured destinations of a rendered config (an array, maybe empty).
  static nlohmann::json destinationsOf(const nlohmann::json& rendered);
  // Both: the alert to write with the event; nullopt when it alerts nobody.
  static std::optional<store::EventAlert> of(const std::string& kind, const nlohmann::json& data,
                                             const nlohmann::json& rendered);
};

}  // namespace ramp::engine
