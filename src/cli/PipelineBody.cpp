#include "cli/PipelineBody.h"

#include <algorithm>

#include "config/EffectiveService.h"
#include "config/GitState.h"

namespace ramp::cli {

std::string wavesLine(const std::vector<std::string>& regions) {
  std::string out;
  for (size_t i = 0; i < regions.size(); ++i) out += (i ? " -> " : "") + regions[i];
  return out;
}

Result<RenderedRequest> renderedRequest(const config::Config& cfg, const std::string& service,
                                        const std::string& env, const std::string& region) {
  auto eff = config::render(cfg, service, env, region);
  if (!eff) return std::unexpected(eff.error());
  auto git = config::gitStateOf(cfg.baseDir);
  nlohmann::json rendered = eff->json;
  config::stampGit(rendered, git);
  nlohmann::json body{{"region", eff->region},
                      {"config_digest", eff->digest},
                      {"git_commit", rendered.value("git_commit", nlohmann::json(nullptr))},
                      {"git_dirty", rendered.value("git_dirty", nlohmann::json(nullptr))},
                      {"rendered", std::move(rendered)},
                      {"pipeline", cfg.pipeline}};
  nlohmann::json later = nlohmann::json::object();
  auto at = std::find(cfg.pipeline.begin(), cfg.pipeline.end(), env);
  if (at != cfg.pipeline.end()) {
    for (auto it = at + 1; it != cfg.pipeline.end(); ++it) {
      auto stage = config::render(cfg, service, *it);
      if (!stage) {
        return invalid("cannot render " + service + " for pipeline stage " + *it + ": " + stage.error().describe(),
                       "pipeline");
      }
      nlohmann::json stageRendered = stage->json;
      config::stampGit(stageRendered, git);
      // A stage with several regions: every region's render, for an
      // auto-promotion that goes region by region (engine autoPromote).
      const config::Environment* se = cfg.environment(*it);
      if (se && se->regions.size() > 1) {
        nlohmann::json waves = nlohmann::json::array();
        for (const auto& r : se->regions) {
          auto w = config::render(cfg, service, *it, r);
          if (!w) {
            return invalid("cannot render " + service + " for pipeline stage " + *it + " region " + r + ": " +
                               w.error().describe(),
                           "pipeline");
          }
          nlohmann::json wr = w->json;
          config::stampGit(wr, git);
          waves.push_back({{"region", r}, {"rendered", std::move(wr)}, {"config_digest", w->digest}});
        }
        stageRendered["waves"] = std::move(waves);
      }
      later[*it] = std::move(stageRendered);
    }
  }
  body["later_stages"] = std::move(later);
  // Regions in waves: no --region and several regions -> one deployment
  // across all of them, each rendered for its own region, in config order.
  const config::Environment* e = cfg.environment(env);
  std::vector<std::string> regions;
  if (region.empty() && e && e->regions.size() > 1) {
    nlohmann::json waves = nlohmann::json::array();
    for (const auto& r : e->regions) {
      auto w = config::render(cfg, service, env, r);
      if (!w) return invalid("cannot render " + service + " for region " + r + ": " + w.error().describe(), "--region");
      nlohmann::json wr = w->json;
      config::stampGit(wr, git);
      waves.push_back({{"region", r}, {"rendered", std::move(wr)}, {"config_digest", w->digest}});
      regions.push_back(r);
    }
    body["waves"] = std::move(waves);
  }
  return RenderedRequest{std::move(body), eff->digest, std::move(regions)};
}

}  // namespace ramp::cli
