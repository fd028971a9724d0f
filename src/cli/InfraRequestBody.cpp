#include "cli/InfraRequestBody.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "config/ConfigLoader.h"

namespace ramp::cli {

Result<nlohmann::json> infraRequestBody(const InfraTarget& target) {
  const auto& [env, regions, file] = target;
  auto path = config::configPathFor(file);
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return invalid(fmt::format("{} is a directory; plan, apply and drift need a single config file", path.string()),
                   "-f");
  }
  auto cfg = config::loadConfig(path);
  if (!cfg) return std::unexpected(cfg.error());
  const config::Environment* e = cfg->environment(env);
  if (!e) {
    std::string known;
    for (const auto& n : cfg->environmentNames()) known += (known.empty() ? "" : ", ") + n;
    return invalid(fmt::format("no environment '{}' in {} (known: {})", env, path.string(), known), "--env");
  }
  for (const auto& r : regions) {
    if (std::find(e->regions.begin(), e->regions.end(), r) == e->regions.end()) {
      std::string known;
      for (const auto& n : e->regions) known += (known.empty() ? "" : ", ") + n;
      return invalid(fmt::format("region '{}' is not one of environment {}'s regions ({})", r, env, known),
                     "--region");
    }
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return invalid("cannot read " + path.string(), "-f");
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json body{{"env", env}, {"config", text.str()}, {"config_name", path.string()}};
  if (!regions.empty()) body["regions"] = regions;
  return body;
}

}  // namespace ramp::cli
