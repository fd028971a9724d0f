// TrafficStore.h — the store's role for what the engine keeps per entry
// point (service × env × region): the URL its data plane serves at, the
// desired traffic plan (engine/TrafficPlan.h, as JSON) and the stable fleet
// with its version. One row per entry point in table `entrypoints`
// (migration 10; before it, the settings "url:NAME", "traffic:NAME",
// "stable:NAME" and one JSON list "entrypoints" that every new entry point
// rewrote whole and every tick parsed whole).
//
// Contract:
//  - putEntrypointUrl / putTrafficPlan / putStableFleet set their column(s)
//    of the entry point's row, making the row on first write (its other
//    columns empty: no URL, the plan {}, no stable fleet). With a fence,
//    refused (kConflict) unless that lease is held at that epoch, and
//    nothing changes (Store.h). kInvalid naming the field for an empty
//    service, env or region, or a plan that is not a JSON object.
//  - putTrafficPlan appends `events` (the traffic.set that says why) to the
//    audit chain in the same transaction as the plan: a plan in force is
//    never missing its event, whatever fails or is lost in between.
//  - getEntrypoint: nullopt when the entry point has no row.
//  - listEntrypoints: every row, by service, env, region (byte order); a
//    row is never removed (`ramp down` empties the plan).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/Result.h"
#include "store/AuditStore.h"
#include "store/Json.h"
#include "store/LeaseStore.h"

namespace ramp::store {

struct EntrypointKey {
  std::string service;
  std::string env;
  std::string region;
  auto operator<=>(const EntrypointKey&) const = default;
};

struct EntrypointRecord {
  EntrypointKey key;
  std::string url;                 // "" until the data plane made it
  Json trafficPlan = Json::object();  // TrafficPlan::toJson(); {} = no plan
  std::string stableFleet;         // "" = none
  std::string stableVersion;
};

class TrafficStore {
 public:
  virtual ~TrafficStore() = default;
  virtual Status putEntrypointUrl(const EntrypointKey& key, const std::string& url,
                                  const std::optional<Fence>& fence) = 0;
  virtual Status putTrafficPlan(const EntrypointKey& key, const Json& plan, const std::optional<Fence>& fence,
                                const std::vector<AuditEventInput>& events = {}) = 0;
  virtual Status putStableFleet(const EntrypointKey& key, const std::string& fleet, const std::string& version,
                                const std::optional<Fence>& fence) = 0;
  virtual Result<std::optional<EntrypointRecord>> getEntrypoint(const EntrypointKey& key) = 0;
  virtual Result<std::vector<EntrypointRecord>> listEntrypoints() = 0;
};

}  // namespace ramp::store
