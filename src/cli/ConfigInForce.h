// ConfigInForce.h — what `ramp deploy` and `ramp promote` tell the user
// about the configuration they deploy with.
//
// Deployments run with the controller's config of record (docs/access.md
// "Trust model"), never with the local ramp.yaml. noteLocalConfig compares
// the local configuration (-f PATH, else ./ramp.yaml when it exists) with
// the version in force (GET /api/v1/config) and returns a note for stderr
// when they differ ("your ramp.yaml differs from config version N in force
// ...: deploying with version N"), or nothing when they agree, when there
// is no local file, or when nothing was pushed yet (the controller's
// refusal then says what to do). A -f PATH that cannot be read is an error.
//
// regionsOf(deployment) lists the regions of a deployment in waves (from
// its "waves"), for headlines; wavesLine joins them with " -> ".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/ApiClient.h"
#include "core/Result.h"

namespace ramp::cli {

Result<std::optional<std::string>> noteLocalConfig(ApiClient& api, const std::optional<std::string>& file);
std::vector<std::string> regionsOf(const nlohmann::json& deployment);
std::string wavesLine(const std::vector<std::string>& regions);

}  // namespace ramp::cli
