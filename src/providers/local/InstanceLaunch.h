// InstanceLaunch.h — what the provider tells an instance shim to run.
//
// Written by LocalFleetProvider to $RAMP_HOME/fleets/<fleet>/<instance>/launch.json
// before the shim is spawned; read by `ramp instance-shim`. Values in
// run.env are stored UNRESOLVED (references such as ${secret:NAME} stay as
// written); the shim resolves them in memory at the moment it starts the
// instance and never writes the resolved values anywhere.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/Result.h"
#include "providers/Provider.h"

namespace ramp::providers {

struct InstanceLaunch {
  std::string home;            // the ramp world (RAMP_HOME of shim and instance)
  std::string fleetId;
  std::string instanceId;
  std::string service;
  std::string env;
  std::string region;
  std::string releaseVersion;
  std::string releaseDigest;   // verified again by the shim before it starts the instance
  std::string releasePath;     // the instance's working directory
  int port = 0;
  RunSpec run;
  std::string sandboxUser = "ramp-instance";  // who the instance runs as when the shim is root (Sandbox.h)
  uint64_t logMaxBytes = 10u << 20;
  int logKeep = 3;

  nlohmann::json toJson() const;
  static Result<InstanceLaunch> fromJson(const nlohmann::json& j, const std::string& where);
  static Result<InstanceLaunch> load(const std::filesystem::path& file);
};

}  // namespace ramp::providers
