// InfraState.h — what ramp believes exists, per project × environment ×
// region ("" = global resources such as Route 53 records).
//
// Kept in ramp's store (SQLite or PostgreSQL) with a lineage (a random id
// fixed when the state is first written) and a serial that grows by one
// with every write; a write names the serial it read and is refused if
// another write came in between (compare-and-swap). Applies hold the lease
// "infra/<project>/<env>" (store leases expire: a crashed apply never leaves
// a lock that needs a manual force-unlock).
//
// The journal records every intended change BEFORE its API call, with the
// client token the call uses, and its outcome after; an apply killed
// halfway leaves "intent" entries that the next apply resumes first (the
// create is idempotent by client token), so nothing is orphaned.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "infra/Resource.h"
#include "store/InfraStore.h"

namespace ramp::infra {

struct InfraState {
  std::string project;
  std::string env;
  std::string region;                              // "" = global
  std::string lineage;                             // empty = never written
  int64_t serial = 0;
  std::map<std::string, ResourceState> resources;  // by address
};

// One entry of the apply journal is the store's row as it is
// (store/InfraStore.h), one definition for both layers: id (assigned by the
// store), applyId (one apply run), project, env, region, address, action
// (create | update | replace | delete), clientToken (deterministic per
// address and desired attributes: a resumed apply reuses it), status
// (intent | done | failed), detail (desired resource, result state or
// error) and at (Unix ms).
using JournalEntry = store::InfraJournalRecord;

}  // namespace ramp::infra
