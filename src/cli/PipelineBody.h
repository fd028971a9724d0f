// PipelineBody.h — the pipeline part of a deploy or promote request body:
// the config's promotion order ("pipeline") and the rendered configs of the
// stages after the target ("later_stages", env -> rendered service config,
// stamped with git state), which the controller keeps with the deployment so
// that an environment with `auto_promote` can promote into the next stage by
// itself (docs/pipeline.md). A stage the service cannot be rendered for is a
// clear error naming it.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "config/GitState.h"
#include "config/Model.h"
#include "core/Result.h"

namespace ramp::cli {

Status addPipelineFields(const config::Config& cfg, const std::string& service, const std::string& env,
                         const config::GitState& git, nlohmann::json& body);

}  // namespace ramp::cli
