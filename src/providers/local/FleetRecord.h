// FleetRecord.h — what the local provider persists about one fleet.
//
// $RAMP_HOME/fleets/<fleetId>/fleet.json, rewritten atomically (write to a
// temporary file, fsync, rename) at every change, BEFORE the side effect it
// announces (an instance is recorded as "starting" before its shim is
// spawned; a fleet is marked retiring before any signal is sent). It holds:
//   - the spec, with run.env values UNRESOLVED (references stay as written);
//   - the highest controller lease epoch seen for the fleet;
//   - the instances: id, slot, port, state, restarts, last error, and the
//     shim's and the instance's pid + start time (ProcessIdentity).
// A restarted provider re-adopts an instance only if the recorded pid is
// alive with the recorded start time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/Result.h"
#include "providers/Provider.h"
#include "providers/local/ProcessIdentity.h"

namespace ramp::providers {

struct InstanceRecord {
  std::string id;          // "i<slot>-<generation>", unique within the fleet
  int slot = 0;            // 0..instances-1; a replacement takes over the slot
  int port = 0;
  std::string state;       // starting | healthy | unhealthy | exited | replaced
  int restarts = 0;        // how many instances this slot had before this one
  std::string lastError;
  ProcessIdentity shim;
  ProcessIdentity child;   // the instance process; also its process group id
  int64_t startedAtMs = 0;

  // The states in which the instance is meant to be running.
  bool live() const { return state == "starting" || state == "healthy" || state == "unhealthy"; }
};

struct FleetRecord {
  FleetSpec spec;
  int64_t epoch = 0;
  bool retiring = false;
  std::string error;       // why instances could not be started, if they could not
  int nextGeneration = 0;
  std::vector<InstanceRecord> instances;

  nlohmann::json toJson() const;
  static Result<FleetRecord> fromJson(const nlohmann::json& j, const std::string& where);
  static Result<FleetRecord> load(const std::filesystem::path& file);
  Status save(const std::filesystem::path& file) const;

  // The spec as compared for idempotency: everything except the epoch.
  static nlohmann::json specJson(const FleetSpec& spec);
  static Result<FleetSpec> specFromJson(const nlohmann::json& j, const std::string& where);
};

}  // namespace ramp::providers
