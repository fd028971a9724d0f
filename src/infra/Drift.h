// Drift.h — `ramp drift`: what changed behind ramp's back.
//
// Drift::detect reads every resource the state records (per type and
// region, one InfraProvider::readMany per group: the provider batches) and
// compares it with what the state says:
//  - "deleted": recorded, but the provider no longer has it;
//  - "changed": an attribute differs (each difference listed with the
//    recorded value as `before` and the real one as `after`);
//  - "leftover": InfraProvider::listTagged finds a resource carrying ramp's
//    tags for the project/env/region that no state knows (by address or
//    id): e.g. made by an apply that was killed before it could journal, or
//    by hand. Resources whose attributes.tags carry `ramp:fleet`, or a
//    `ramp:managed-by` other than "infra", belong to deployments and are
//    never leftovers (they are counted in managedByDeployments).
//  - "unrecorded": like a leftover, but its address is one the
//    configuration asks for (`desired`): it exists — typically the router
//    entry point a deployment ensured before any apply — and no state
//    records it yet. `ramp plan` shows it as an import and the apply that
//    imports it clears both: plan and drift always agree.
// Regions checked: the given ones (the environment's regions), every region
// that has state, and "" (global). An error reading the provider is an
// error (unknown is never reported as "deleted").
// CLI exit codes: 0 no drift, 2 drift found, 1 error.
#pragma once

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/Result.h"
#include "infra/InfraProvider.h"
#include "infra/InfraStore.h"
#include "infra/Plan.h"

namespace ramp::infra {

struct DriftItem {
  std::string kind;     // changed | deleted | leftover | unrecorded
  std::string address;  // for leftovers: their ramp:address tag if any, else the id
  std::string type;
  std::string name;
  std::string region;
  std::string id;
  std::vector<AttributeChange> attributes;  // changed: before = recorded, after = real
};

struct DriftReport {
  std::string project;
  std::string env;
  std::vector<std::string> regions;  // checked ("" = global)
  int checked = 0;                   // recorded resources read
  std::vector<DriftItem> items;      // by region, then address
  std::vector<std::string> managedByDeployments;  // tagged resources that belong to deployments

  bool clean() const { return items.empty(); }
  nlohmann::json toJson() const;
  std::string text() const;
};

class Drift {
 public:
  // `desired`: the addresses the configuration asks for (DesiredGraph).
  static Result<DriftReport> detect(const std::string& project, const std::string& env,
                                    const std::vector<std::string>& regions, InfraProvider& provider,
                                    InfraStore& store, const std::set<std::string>& desired = {});
};

}  // namespace ramp::infra
