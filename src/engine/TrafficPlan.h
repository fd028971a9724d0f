// TrafficPlan.h — the weights the engine wants behind one entry point.
//
// Deployments never write the data plane directly: they edit the desired
// weights (persisted in the store), and TrafficReconciler makes the data
// plane match, filling in each fleet's healthy instances and re-applying
// whenever instances are replaced. A step counts as done only once the
// weights read back from the data plane equal the desired ones.
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

  // Sends 100% to `fleet`, 0% to every other fleet still listed (they drain).
  void sendAllTo(const std::string& fleet);
  // Sets `fleet` to `weight` and gives the rest to `stable` (canary steps).
  void split(const std::string& stable, const std::string& canary, int canaryWeight);
  // A canary step with a fresh baseline fleet: canary and baseline get the
  // same weight, stable the rest (100 - 2 x weight; weights are <= 50).
  void split(const std::string& stable, const std::string& baseline, const std::string& canary, int canaryWeight);
  // Drops a fleet from the plan (after it has drained).
  void remove(const std::string& fleet);
  bool empty() const { return weights.empty(); }

  nlohmann::json toJson() const;
  static TrafficPlan fromJson(const nlohmann::json& j);
};

std::string entrypointName(const providers::EntrypointKey& key);

}  // namespace ramp::engine
