// ShimStatus.h — what an instance shim reports about its instance.
//
// The shim owns $RAMP_HOME/fleets/<fleet>/<instance>/status.json and rewrites
// it atomically at each change: "starting" (shim up, instance not yet
// started), "running" (child pid + start time known), "exited" (the
// instance ended: exit code or signal) or "failed" (the instance never
// started: digest mismatch, unresolvable reference, exec failure; `error`
// says why). The provider reads it to learn pids after a spawn and after a
// restart of the controller; it trusts a pid only together with its start
// time (ProcessIdentity).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/Result.h"
#include "providers/local/ProcessIdentity.h"

namespace ramp::providers {

struct ShimStatus {
  std::string state = "starting";  // starting | running | exited | failed
  ProcessIdentity shim;
  ProcessIdentity child;           // the instance; also its process group id
  int exitCode = -1;               // when exited normally
  int signal = 0;                  // when killed by a signal
  std::string error;               // when failed
  int64_t startedAtMs = 0;
  int64_t endedAtMs = 0;

  nlohmann::json toJson() const;
  static Result<ShimStatus> load(const std::filesystem::path& file);
  Status save(const std::filesystem::path& file) const;
  // "exit code 3", "killed by signal 9 (Killed)", or the failure.
  std::string describeEnd() const;
};

// The shim and the instance it started as fields of a JSON object, as
// status.json has them and fleet.json repeats them for each instance:
// shimPid, shimStart, childPid, childStart (a missing field reads as 0).
void writeShimAndChild(nlohmann::json& j, const ProcessIdentity& shim, const ProcessIdentity& child);
void readShimAndChild(const nlohmann::json& j, ProcessIdentity& shim, ProcessIdentity& child);

}  // namespace ramp::providers
