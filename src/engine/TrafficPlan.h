// TrafficPlan.h — the weights the engine wants behind one entry point.
//
// Deployments never write the data plane directly: they edit the desired
// weights (persisted in the store), and TrafficReconciler makes the data
// plane match, filling in each fleet's healthy instances and re-applying
// whenever instances are replaced. A step counts as done only once the
// weights read back from the data plane equal the desired ones.
//
// A canary split also names its `stable` fleet and a weight lease
// (`leaseMs`, strategy.weight_lease): the data plane serves the stable fleet
// when the chosen one refuses every connection, and takes the canary's
// weight away by itself when the controller stops renewing the lease
// (engine/WeightLease.h, docs/router.md "Failing safe"). Splits that send
// everything to one fleet carry neither.
#pragma once

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/Result.h"
#include "providers/Provider.h"

namespace ramp::engine {

struct TrafficPlan {
  std::map<std::string, int> weights;        // fleet id -> 0..100
  std::optional<providers::Pinning> pin;
  std::string stable;     // canary splits: the fleet that keeps serving; "" = none
  int64_t leaseMs = 0;    // canary splits: the weight lease; 0 = none

  // Sends 100% to `fleet`, 0% to every other fleet still listed (they drain).
  void sendAllTo(const std::string& fleet);
  // Sets `fleet` to `weight` and gives the rest to `stable` (canary steps),
  // held under a lease of `leaseMs` (0 = none).
  void split(const std::string& stable, const std::string& canary, int canaryWeight, int64_t leaseMs);
  // A canary step with a fresh baseline fleet: canary and baseline get the
  // same weight, stable the rest (100 - 2 x weight; weights are <= 50).
  void split(const std::string& stable, const std::string& baseline, const std::string& canary, int canaryWeight,
             int64_t leaseMs);
  // Drops a fleet from the plan (after it has drained); a plan without its
  // stable fleet holds no lease.
  void remove(const std::string& fleet);
  bool empty() const { return weights.empty(); }

  nlohmann::json toJson() const;
  static TrafficPlan fromJson(const nlohmann::json& j);
};

std::string entrypointName(const providers::EntrypointKey& key);

}  // namespace ramp::engine
