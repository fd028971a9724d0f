#include "server/WaveFields.h"

#include <fmt/format.h>

namespace ramp::server {

Status readWaveFields(const nlohmann::json& body, engine::DeployRequest& req) {
  if (!body.is_object()) return ok();
  if (body.contains("rollback_all_regions") && !body["rollback_all_regions"].is_null()) {
    if (!body["rollback_all_regions"].is_boolean()) return invalid("must be a boolean", "rollback_all_regions");
    req.rollbackAllRegions = body["rollback_all_regions"].get<bool>();
  }
  if (!body.contains("waves") || body["waves"].is_null()) return ok();
  const auto& waves = body["waves"];
  if (!waves.is_array()) return invalid("must be a list of {region, rendered, config_digest}", "waves");
  if (waves.empty()) return invalid("must not be empty (leave it out to deploy one region)", "waves");
  for (size_t i = 0; i < waves.size(); ++i) {
    const auto& w = waves[i];
    const std::string at = fmt::format("waves[{}]", i);
    if (!w.is_object()) return invalid("must be an object {region, rendered, config_digest}", at);
    for (auto it = w.begin(); it != w.end(); ++it) {
      if (it.key() != "region" && it.key() != "rendered" && it.key() != "config_digest") {
        return invalid("unknown field (expected region, rendered, config_digest)", at + "." + it.key());
      }
    }
    if (!w.contains("region") || !w["region"].is_string() || w["region"].get<std::string>().empty()) {
      return invalid("must be a non-empty string", at + ".region");
    }
    if (!w.contains("rendered") || !w["rendered"].is_object()) {
      return invalid("must be the service config rendered for the region (an object)", at + ".rendered");
    }
    if (!w.contains("config_digest") || !w["config_digest"].is_string()) {
      return invalid("must be a string (the rendered config's digest)", at + ".config_digest");
    }
    req.waves.push_back({w["region"].get<std::string>(), w["rendered"], w["config_digest"].get<std::string>()});
  }
  return ok();
}

}  // namespace ramp::server
