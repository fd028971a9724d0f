#include "engine/WeightLease.h"

#include <fmt/format.h>

#include "core/Clock.h"

namespace ramp::engine {

WeightLease::Action WeightLease::next(const TrafficPlan& plan, const providers::TrafficSplit& applied,
                                      bool sameRouting) {
  if (ranOut(plan, applied)) return Action::kRanOut;
  if (!sameRouting) return Action::kApply;
  if (plan.leaseMs > 0 && renewalDue(plan.leaseMs, applied.lease)) return Action::kRenew;
  return Action::kNone;
}

bool WeightLease::ranOut(const TrafficPlan& plan, const providers::TrafficSplit& applied) {
  return plan.leaseMs > 0 && applied.lease && applied.lease->state == "expired";
}

bool WeightLease::renewalDue(int64_t leaseMs, const std::optional<providers::TrafficLease>& lease) {
  if (!lease || lease->state != "held") return true;
  if (lease->leaseMs != leaseMs) return true;  // the configured lease changed
  return lease->remainingMs <= leaseMs - leaseMs / 3;
}

std::string WeightLease::describe(const providers::TrafficLease& lease, const std::string& stable, int step,
                                  int steps, const std::string& policy) {
  return fmt::format(
      "the canary's weight lease ({} ms) ran out at {} without renewal (the controller was away); the data plane had "
      "sent all traffic back to the stable fleet {} at step {}/{} (on_lease_expiry: {})",
      lease.leaseMs, lease.expiredAtMs > 0 ? formatTime(fromUnixMillis(lease.expiredAtMs)) : std::string("?"),
      stable.empty() ? std::string("?") : stable, step, steps, policy);
}

nlohmann::json WeightLease::toJson(const providers::TrafficLease& lease) {
  nlohmann::json before = nlohmann::json::object();
  for (const auto& f : lease.before) before[f.fleetId] = f.weight;
  return {{"state", lease.state},
          {"lease_ms", lease.leaseMs},
          {"expired_at", lease.expiredAtMs > 0 ? nlohmann::json(formatTime(fromUnixMillis(lease.expiredAtMs)))
                                               : nlohmann::json(nullptr)},
          {"before", before}};
}

}  // namespace ramp::engine
