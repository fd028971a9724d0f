#include "engine/TrafficPlan.h"

namespace ramp::engine {

void TrafficPlan::sendAllTo(const std::string& fleet) {
  for (auto& [id, w] : weights) w = 0;
  weights[fleet] = 100;
  pin.reset();  // everyone is on one fleet now
  stable.clear();
  leaseMs = 0;
}

void TrafficPlan::split(const std::string& stableFleet, const std::string& canary, int canaryWeight,
                        int64_t lease) {
  for (auto& [id, w] : weights) w = 0;
  weights[canary] = canaryWeight;
  weights[stableFleet] = 100 - canaryWeight;
  stable = stableFleet;
  leaseMs = lease;
}

void TrafficPlan::split(const std::string& stableFleet, const std::string& baseline, const std::string& canary,
                        int canaryWeight, int64_t lease) {
  for (auto& [id, w] : weights) w = 0;
  weights[canary] = canaryWeight;
  weights[baseline] = canaryWeight;
  weights[stableFleet] = 100 - 2 * canaryWeight;
  stable = stableFleet;
  leaseMs = lease;
}

void TrafficPlan::remove(const std::string& fleet) {
  weights.erase(fleet);
  if (pin && pin->fleetId == fleet) pin.reset();
  if (stable == fleet) {
    stable.clear();
    leaseMs = 0;
  }
}

nlohmann::json TrafficPlan::toJson() const {
  nlohmann::json j{{"weights", weights}};
  if (pin) {
    j["pin"] = {{"header", pin->header}, {"cookie", pin->cookie}, {"fleet", pin->fleetId}};
  } else {
    j["pin"] = nullptr;
  }
  // Only when set, so plans without them read and compare as before.
  if (!stable.empty()) j["stable"] = stable;
  if (leaseMs > 0) j["lease_ms"] = leaseMs;
  return j;
}

TrafficPlan TrafficPlan::fromJson(const nlohmann::json& j) {
  TrafficPlan p;
  if (j.contains("weights") && j["weights"].is_object()) {
    for (auto& [k, v] : j["weights"].items()) {
      if (v.is_number_integer()) p.weights[k] = v.get<int>();
    }
  }
  if (j.contains("pin") && j["pin"].is_object()) {
    providers::Pinning pin;
    pin.header = j["pin"].value("header", "");
    pin.cookie = j["pin"].value("cookie", "");
    pin.fleetId = j["pin"].value("fleet", "");
    p.pin = pin;
  }
  if (j.contains("stable") && j["stable"].is_string()) p.stable = j["stable"].get<std::string>();
  if (j.contains("lease_ms") && j["lease_ms"].is_number_integer()) p.leaseMs = j["lease_ms"].get<int64_t>();
  return p;
}

std::string entrypointName(const providers::EntrypointKey& key) {
  return key.service + "." + key.env + "." + key.region;
}

}  // namespace ramp::engine
