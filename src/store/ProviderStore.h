// ProviderStore.h — the store's role for provider routing: which provider
// runs each environment (and, for aws, the settings it learned), and which
// provider made each fleet — what providers/ProviderSet.h kept in
// $RAMP_HOME/providers/*.json, now shared by every controller of the world.
//
// Tables: provider_environments (one row per service × env: provider, the
// site that runs a local environment, settings JSON) and fleet_placements
// (one row per fleet: provider, site, the aws region it was made in).
//
// Contract:
//  - putProviderEnvironment upserts by service+env. A local environment is
//    bound to the site it was first recorded at (core/Site.h): a write
//    naming another site is kConflict naming both sites, and nothing
//    changes (its fleets and router are processes on that host). kInvalid
//    for an empty service/env, a provider other than local|aws, or a local
//    environment without a site.
//  - putFleetPlacement records a fleet's provider, site and region; the
//    same again is no change; another provider, site or region for the
//    same fleet is kConflict (a fleet never moves) — except a region where
//    the row has none (written before regions were recorded): filled in.
//    getFleetPlacement: nullopt when unknown.
//  - lists: by service, env / by fleet id (byte order).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/Result.h"
#include "store/Json.h"

namespace ramp::store {

struct ProviderEnvironmentRecord {
  std::string service;
  std::string env;
  std::string provider;            // local | aws
  std::string site;                // local: the site id running it; "" for aws
  std::string siteLabel;           // "HOST:HOME" of that site, for messages
  Json settings = Json::object();  // aws: {"regions": {region: that region's rendered config}}
  int64_t updatedAt = 0;
};

struct FleetPlacementRecord {
  std::string fleetId;
  std::string provider;            // local | aws
  std::string site;                // local: the site id running it; "" for aws
  int64_t createdAt = 0;
  std::string region;              // aws: the region it was made in; "" for local
};

class ProviderStore {
 public:
  virtual ~ProviderStore() = default;
  virtual Status putProviderEnvironment(const ProviderEnvironmentRecord& r) = 0;
  virtual Result<std::vector<ProviderEnvironmentRecord>> listProviderEnvironments() = 0;
  virtual Status putFleetPlacement(const FleetPlacementRecord& r) = 0;
  virtual Result<std::optional<FleetPlacementRecord>> getFleetPlacement(const std::string& fleetId) = 0;
  virtual Result<std::vector<FleetPlacementRecord>> listFleetPlacements() = 0;
};

}  // namespace ramp::store
