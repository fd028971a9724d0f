// ServiceStatus.h — what `ramp status` shows for one service in one
// environment (design.md), as a type: the deployment shown (the newest one
// not waiting in the queue), the queue behind it, the hotfix debt, every
// region's entry point, and every fleet with its weight, health and role.
// Engine::status() builds it from the store, the entry points' plans and
// the fleet provider; server/StatusJson.cpp makes the API's JSON of it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/Deployment.h"
#include "engine/HotfixDebt.h"
#include "store/Store.h"

namespace ramp::engine {

struct FleetStatusView {
  store::FleetRecord record;
  int weight = 0;      // in its region's entry point's plan
  // What the data plane applies (TrafficProvider::appliedTraffic, read
  // back) in its region: a weight is verified once the router carries it.
  // nullopt = the data plane could not say.
  std::optional<int> appliedWeight;
  int instances = 0;   // desired, from the provider (0 when gone)
  int healthy = 0;
  std::string statusError;  // the provider could not say (instances/healthy unknown, not 0); "" = it did
  // stable | previous | baseline | canary (the new fleet of a deployment in
  // progress, whatever its strategy)
  std::string role;
};

struct ServiceStatus {
  std::string service;
  std::string env;
  std::string region;                               // the shown deployment's (current) region
  std::optional<std::string> entrypoint;            // its entry point's URL
  std::vector<std::pair<std::string, std::optional<std::string>>> entrypoints;  // every region's, in order
  Deployment deployment;                            // the one shown
  std::vector<Deployment> queue;                    // waiting behind it, oldest first
  std::vector<HotfixDebtEntry> hotfixDebt;
  std::vector<FleetStatusView> fleets;
};

}  // namespace ramp::engine
