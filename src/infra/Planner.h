// Planner.h — desired resources + recorded state (+ refreshed real state)
// → a Plan. Pure: no I/O, no clock; the same inputs give the same Plan and
// the same digest.
//
// Rules:
// - The current form of a resource is the refreshed one when a refresh was
//   made (refreshed != nullopt), else the recorded one (state).
// - Desired, no current form → create; reason "deleted outside ramp" when
//   the state records it but the refresh did not find it. A create's
//   `attributes` list is empty: its desired resource carries them all.
// - Desired, found by the refresh but recorded by no state → import when
//   its attributes match (apply records it, no call changes it), else
//   update/replace as below; reason "exists but no state records it (made by
//   a deployment or outside ramp)". Plan and drift agree: drift reports such
//   a resource as "unrecorded" (not a leftover), and the apply that imports
//   it clears both.
// - Desired and current differ on an attribute named in desired.attributes
//   (only those: providers may report more) → update in place, or replace
//   when any differing attribute is in desired.forceNew.
// - A replaced resource replaces its regional dependants (an ALB's
//   listeners and rules die with it) and updates its global ones (Route 53
//   records), with reason "depends on <address>, which is replaced".
// - In state (any region of `state`) but not desired → delete; reason
//   "region removed" when that region has no desired resource and is not
//   in `regions`, else "not in the configuration".
// - Each of `leftovers` (providers' listTagged: resources carrying the
//   environment's tags) whose id no state records and that is not a
//   deployment's (tag ramp:fleet, or ramp:managed-by other than infra)
//   → delete, reason kLeftoverReason, address "<address or type>@<id>"
//   (apply needs --allow-destroy for them). A twin of a recorded resource
//   (same ramp:address, another id) is such a leftover.
// - Order: creates/updates/replaces in dependency order (a resource after
//   what it depends on), then deletes in reverse type order (rules before
//   listeners before load balancers, ...). Ties by address.
// - Plan::regions = `regions` in the given order, then any further region
//   that has deletes (sorted); the global region "" is not listed.
// - Plan::basis = lineage/serial of every InfraState given; Plan::digest is
//   sha256 of planCanonicalText (PlanJson.h).
// - managedByDeployments: one line per service × region (from the desired
//   listener rules and local listeners): the fleets, the rule's forward
//   action and pinning rules, and the fleet its alarms watch are the
//   deployments' (a refresh never reports them as changes).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "infra/InfraState.h"
#include "infra/Plan.h"
#include "infra/Resource.h"

namespace ramp::infra {

class Planner {
 public:
  static Plan plan(const std::string& project, const std::string& env, const std::vector<std::string>& regions,
                   const std::vector<Resource>& desired, const std::map<std::string, InfraState>& state,
                   const std::optional<std::map<std::string, ResourceState>>& refreshed,
                   const std::vector<ResourceState>& leftovers = {});
};

}  // namespace ramp::infra
