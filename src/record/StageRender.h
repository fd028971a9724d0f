// StageRender.h — what a deployment of a service into an environment runs
// with, computed from a configuration (pure). The controller calls it with
// the config of record in force; nothing of it comes from the request.
//
// stageFor(cfg, git, service, env, region) renders SERVICE for ENV:
//   - region given: that region only (kNotFound naming `region` and the
//     environment's regions when it is not one of them);
//   - no region and several regions: every region in config order, as
//     waves (the deployment's first region is the first wave's);
//   - pipeline = cfg.pipeline; laterStages = every stage after ENV rendered
//     (a stage of several regions carries its regions' renders under
//     "waves"), for auto-promotion (engine autoPromote);
// every rendered object stamped with the version's git state (stampGit).
// A stage the service cannot be rendered for is an error naming it.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/GitState.h"
#include "config/Model.h"
#include "core/Result.h"
#include "engine/Engine.h"

namespace ramp::record {

struct Stage {
  std::string region;                       // the first (or only) region
  nlohmann::json rendered;                  // the first (or only) region's render
  std::string configDigest;
  std::vector<std::string> pipeline;
  nlohmann::json laterStages = nlohmann::json::object();
  std::vector<engine::RegionTarget> waves;  // empty = one region
};

Result<Stage> stageFor(const config::Config& cfg, const config::GitState& git, const std::string& service,
                       const std::string& env, const std::string& region);

}  // namespace ramp::record
