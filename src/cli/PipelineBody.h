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
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "config/Model.h"
#include "core/Result.h"

namespace ramp::cli {

struct RenderedRequest {
  nlohmann::json body;   // the fields above; the caller adds its own
  std::string digest;    // the rendered config's digest ("sha256:...")
};

Result<RenderedRequest> renderedRequest(const config::Config& cfg, const std::string& service,
                                        const std::string& env, const std::string& region);

}  // namespace ramp::cli
