#include "record/StageRender.h"

#include <algorithm>

#include <fmt/format.h>

#include "config/EffectiveService.h"

namespace ramp::record {

using nlohmann::json;

namespace {

Result<config::EffectiveService> renderOne(const config::Config& cfg, const std::string& service,
                                           const std::string& env, const std::string& region) {
  auto eff = config::render(cfg, service, env, region);
  if (!eff) {
    // The request names service, env, region: the error names that field.
    const auto& e = eff.error();
    std::string field = e.where == "--service" ? "service" : e.where == "--env" ? "env"
                        : e.where == "--region" ? "region" : e.where;
    // Unknown names in a request are bad input (400), naming the field.
    return std::unexpected(Error{e.code == ErrorCode::kNotFound ? ErrorCode::kInvalid : e.code, e.message, field});
  }
  return eff;
}

}  // namespace

Result<Stage> stageFor(const config::Config& cfg, const config::GitState& git, const std::string& service,
                       const std::string& env, const std::string& region) {
  auto eff = renderOne(cfg, service, env, region);
  if (!eff) return std::unexpected(eff.error());
  Stage out;
  out.region = eff->region;
  out.rendered = eff->json;
  config::stampGit(out.rendered, git);
  out.configDigest = eff->digest;
  out.pipeline = cfg.pipeline;
  auto at = std::find(cfg.pipeline.begin(), cfg.pipeline.end(), env);
  if (at != cfg.pipeline.end()) {
    for (auto it = at + 1; it != cfg.pipeline.end(); ++it) {
      auto stage = config::render(cfg, service, *it);
      if (!stage) {
        return invalid(fmt::format("{} cannot be rendered for pipeline stage {}: {}", service, *it,
                                   stage.error().describe()),
                       "service");
      }
      json stageRendered = stage->json;
      config::stampGit(stageRendered, git);
      const config::Environment* se = cfg.environment(*it);
      if (se && se->regions.size() > 1) {
        json waves = json::array();
        for (const auto& r : se->regions) {
          auto w = config::render(cfg, service, *it, r);
          if (!w) {
            return invalid(fmt::format("{} cannot be rendered for pipeline stage {} region {}: {}", service, *it, r,
                                       w.error().describe()),
                           "service");
          }
          json wr = w->json;
          config::stampGit(wr, git);
          waves.push_back({{"region", r}, {"rendered", std::move(wr)}, {"config_digest", w->digest}});
        }
        stageRendered["waves"] = std::move(waves);
      }
      out.laterStages[*it] = std::move(stageRendered);
    }
  }
  const config::Environment* e = cfg.environment(env);
  if (region.empty() && e && e->regions.size() > 1) {
    for (const auto& r : e->regions) {
      auto w = config::render(cfg, service, env, r);
      if (!w) return invalid(fmt::format("{} cannot be rendered for region {}: {}", service, r, w.error().describe()),
                             "region");
      json wr = w->json;
      config::stampGit(wr, git);
      out.waves.push_back({r, std::move(wr), w->digest});
    }
  }
  return out;
}

}  // namespace ramp::record
