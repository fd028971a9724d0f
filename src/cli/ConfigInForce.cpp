#include "cli/ConfigInForce.h"

#include <filesystem>

#include <fmt/format.h>

#include "config/ConfigLoader.h"
#include "record/ConfigBundle.h"

namespace ramp::cli {

namespace fs = std::filesystem;

Result<std::optional<std::string>> noteLocalConfig(ApiClient& api, const std::optional<std::string>& file) {
  auto path = config::configPathFor(file);
  std::error_code ec;
  if (!file && !fs::exists(path, ec)) return std::optional<std::string>();
  auto local = record::ConfigBundle::fromPath(path);
  if (!local) return std::unexpected(local.error());
  auto inForce = api.get("/api/v1/config");
  if (!inForce) {
    if (inForce.error().code == ErrorCode::kNotFound) return std::optional<std::string>();
    return std::unexpected(inForce.error());
  }
  if (inForce->value("digest", "") == local->digest()) return std::optional<std::string>();
  return std::optional<std::string>(fmt::format(
      "note: {} differs from config version {} in force (pushed by {} at {}); deploying with version {}.\n"
      "      `ramp config diff` shows the difference; `ramp config push` proposes yours.",
      path.string(), inForce->value("version", int64_t{0}), inForce->value("pushed_by", "?"),
      inForce->value("pushed_at", "?"), inForce->value("version", int64_t{0})));
}

std::vector<std::string> regionsOf(const nlohmann::json& deployment) {
  std::vector<std::string> out;
  if (!deployment.contains("waves") || !deployment["waves"].is_array()) return out;
  for (const auto& w : deployment["waves"]) {
    if (w.is_object() && w.contains("region") && w["region"].is_string()) out.push_back(w["region"]);
  }
  return out;
}

std::string wavesLine(const std::vector<std::string>& regions) {
  std::string out;
  for (size_t i = 0; i < regions.size(); ++i) out += (i ? " -> " : "") + regions[i];
  return out;
}

}  // namespace ramp::cli
