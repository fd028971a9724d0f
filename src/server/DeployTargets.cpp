#include "server/DeployTargets.h"

#include <algorithm>
#include <string>
#include <vector>

namespace ramp::server {

nlohmann::json deployTargetsFor(const Principal& who, const config::Config& cfg, int64_t configVersion) {
  std::vector<std::string> order = cfg.pipeline;
  for (const auto& e : cfg.environments) {
    if (std::find(order.begin(), order.end(), e.name) == order.end()) order.push_back(e.name);
  }
  nlohmann::json envs = nlohmann::json::array();
  for (const auto& name : order) envs.push_back({{"name", name}, {"may_deploy", who.has("deployer", name)}});
  nlohmann::json services = nlohmann::json::array();
  for (const auto& s : cfg.services) services.push_back(s.name);
  return {{"config_version", configVersion}, {"services", services}, {"envs", envs}};
}

}  // namespace ramp::server
