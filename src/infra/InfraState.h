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

namespace ramp::infra {

struct InfraState {
  std::string project;
  std::string env;
  std::string region;                              // "" = global
  std::string lineage;                             // empty = never written
  int64_t serial = 0;
  std::map<std::string, ResourceState> resources;  // by address
};

struct JournalEntry {
  int64_t id = 0;                 // assigned by the store
  std::string applyId;            // one apply run
  std::string project;
  std::string env;
  std::string region;
  std::string address;
  std::string action;             // create | update | replace | delete
  std::string clientToken;        // deterministic per (address, desired attributes): a resumed apply reuses it
  std::string status;             // intent | done | failed
  nlohmann::json detail = nlohmann::json::object();  // desired resource, result state or error
  int64_t at = 0;                 // Unix ms
};

}  // namespace ramp::infra
