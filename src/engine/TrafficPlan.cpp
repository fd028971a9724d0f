#include "engine/TrafficPlan.h"

namespace ramp::engine {

void TrafficPlan::sendAllTo(const std::string& fleet) {
  for (auto& [id, w] : weights) w = 0;
  weights[fleet] = 100;
  pin.reset();  // everyone is on one fleet now
}

void TrafficPlan::split(const std::string& stable, const std::string& canary, int canaryWeight) {
  for (auto& [id, w] : weights) w = 0;
  weights[canary] = canaryWeight;
  weights[stable] = 100 - canaryWeight;
}

void TrafficPlan::split(const std::string& stable, const std::string& baseline, const std::string& canary,
                        int canaryWeight) {
  for (auto& [id, w] : weights) w = 0;
  weights[canary] = canaryWeight;
  weights[baseline] = canaryWeight;
  weights[stable] = 100 - 2 * canaryWeight;
}

void TrafficPlan::remove(const std::string& fleet) {
  weights.erase(fleet);
  if (pin && pin->fleetId == fleet) pin.reset();
}

nlohmann::json TrafficPlan::toJson() const {
  nlohmann::json j{{"weights", weights}};
  if (pin) {
    j["pin"] = {{"header", pin->header}, {"cookie", pin->cookie}, {"fleet", pin->fleetId}};
  } else {
    j["pin"] = nullptr;
  }
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
  return p;
}

std::string entrypointName(const providers::EntrypointKey& key) {
  return key.service + "." + key.env + "." + key.region;
}

}  // namespace ramp::engine
