// PipelineBody.h — the body of a deploy or promote request, as the CLI
// renders it from the config.
//
// renderedRequest renders SERVICE for ENV (and REGION, empty = the
// environment's first) and returns the request fields both commands send:
// region, the rendered config stamped with the config's git state, its
// digest, git commit/dirty, the config's promotion order ("pipeline") and
// the rendered configs of the stages after ENV ("later_stages", env ->
// rendered service config), which the controller keeps with the deployment
// so that an environment with `auto_promote` can promote into the next
// stage by itself (docs/pipeline.md). A stage the service cannot be
// rendered for is a clear error naming it.
//
// With no REGION and an environment of several regions, the body also
// carries "waves": [{region, rendered, config_digest}] for every region in
// the order of environments.ENV.regions: one deployment rolls out region by
// region (src/engine/Waves.cpp); "region", "rendered" and "config_digest"
// are then the first region's. Likewise a later stage with several regions
// carries every region's render under its "waves" key (same shape), so that
// its auto-promotion goes region by region too.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/Model.h"
#include "core/Result.h"

namespace ramp::cli {

struct RenderedRequest {
  nlohmann::json body;   // the fields above; the caller adds its own
  std::string digest;    // the rendered config's digest ("sha256:...")
  std::vector<std::string> waves;  // the regions in waves, in order; empty = one region
};

// "us-east-1 -> eu-west-1 -> ap-southeast-1" (for headlines).
std::string wavesLine(const std::vector<std::string>& regions);

Result<RenderedRequest> renderedRequest(const config::Config& cfg, const std::string& service,
                                        const std::string& env, const std::string& region);

}  // namespace ramp::cli
