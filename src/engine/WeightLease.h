// WeightLease.h — the engine's side of the data plane's weight lease
// (issue #16; the router's side: docs/router.md "Failing safe"; the choice:
// docs/decisions.md "The canary's weight lease").
//
// A canary split names its stable fleet and is held under a lease
// (strategy.weight_lease, default 10 s) that the controller renews; when the
// controller is away longer than the lease, the data plane by itself sends
// every request to the stable fleet. The engine:
//   - renews the lease of a split it wants held once a third of it has
//     passed (reconcile, on every tick);
//   - never re-applies a leased split the data plane dropped because the
//     lease ran out: that is the deployment's decision;
//   - the deployment, in a canary phase, finds the lease ran out and acts by
//     strategy.on_lease_expiry: `rollback` (default; the data plane already
//     applies what the rollback wants) or `resume` (the held split is put
//     back and the current step starts again from its beginning).
//
// Pure decisions on values, no I/O; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/TrafficPlan.h"
#include "providers/Provider.h"

namespace ramp::engine {

class WeightLease {
 public:
  enum class Action {
    kNone,    // the data plane applies the plan; the lease (if any) is fresh
    kApply,   // the data plane differs from the plan: set the split
    kRenew,   // same split, its lease is due for renewal (or not held yet)
    kRanOut,  // the plan's lease ran out: leave the data plane as it is
  };

  // What reconcile does for one entry point. `sameRouting`: the data plane
  // applies the plan's fleets, weights, backends and pin.
  static Action next(const TrafficPlan& plan, const providers::TrafficSplit& applied, bool sameRouting);
  // The plan holds a lease and the data plane reports it ran out.
  static bool ranOut(const TrafficPlan& plan, const providers::TrafficSplit& applied);
  // A lease of `leaseMs` whose state is `lease` should be renewed now: not
  // held at all, or held with two thirds or less of it left.
  static bool renewalDue(int64_t leaseMs, const std::optional<providers::TrafficLease>& lease);
  // The deployment's reason, naming when it ran out and where traffic went.
  static std::string describe(const providers::TrafficLease& lease, const std::string& stable, int step, int steps,
                              const std::string& policy);
  // The lease as recorded in the deployment's audit event.
  static nlohmann::json toJson(const providers::TrafficLease& lease);
};

}  // namespace ramp::engine
