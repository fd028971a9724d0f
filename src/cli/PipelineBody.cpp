#include "cli/PipelineBody.h"

#include <algorithm>

#include "config/EffectiveService.h"

namespace ramp::cli {

Status addPipelineFields(const config::Config& cfg, const std::string& service, const std::string& env,
                         const config::GitState& git, nlohmann::json& body) {
  body["pipeline"] = cfg.pipeline;
  nlohmann::json later = nlohmann::json::object();
  auto at = std::find(cfg.pipeline.begin(), cfg.pipeline.end(), env);
  if (at != cfg.pipeline.end()) {
    for (auto it = at + 1; it != cfg.pipeline.end(); ++it) {
      auto eff = config::render(cfg, service, *it);
      if (!eff) return invalid("cannot render " + service + " for pipeline stage " + *it + ": " + eff.error().describe(),
                               "pipeline");
      nlohmann::json rendered = eff->json;
      config::stampGit(rendered, git);
      later[*it] = rendered;
    }
  }
  body["later_stages"] = later;
  return ok();
}

}  // namespace ramp::cli
