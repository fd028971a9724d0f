#include "engine/AlertRule.h"

namespace ramp::engine {

namespace {

std::string text(const nlohmann::json& data, const char* key) {
  if (!data.is_object() || !data.contains(key) || !data[key].is_string()) return {};
  return data[key].get<std::string>();
}

}  // namespace

std::optional<std::string> AlertRule::nameOf(const std::string& kind, const nlohmann::json& data) {
  if (kind.starts_with("notification.")) return std::nullopt;
  const std::string state = text(data, "state");
  if (kind == "deployment.finished" && state == "failed") return "deployment.failed";
  if (kind == "deployment.finished" && state == "rolled_back") return "deployment.rolled_back";
  if (kind == "approval.requested" || (kind.starts_with("deployment.") && state == "awaiting_approval")) {
    return "approval.requested";
  }
  if (kind == "hotfix.started" ||
      (kind == "deployment.created" &&
       ((data.is_object() && data.contains("hotfix") && data["hotfix"] == true) || text(data, "kind") == "hotfix"))) {
    return "hotfix.started";
  }
  if (kind == "infra.apply_failed") return "infra.apply_failed";
  return std::nullopt;
}

nlohmann::json AlertRule::destinationsOf(const nlohmann::json& rendered) {
  if (!rendered.is_object()) return nlohmann::json::array();
  if (rendered.contains("alerts") && rendered["alerts"].is_array()) return rendered["alerts"];
  if (rendered.contains("service") && rendered["service"].is_object() && rendered["service"].contains("alerts") &&
      rendered["service"]["alerts"].is_array()) {
    return rendered["service"]["alerts"];
  }
  return nlohmann::json::array();
}

std::optional<store::EventAlert> AlertRule::of(const std::string& kind, const nlohmann::json& data,
                                               const nlohmann::json& rendered) {
  auto name = nameOf(kind, data);
  if (!name) return std::nullopt;
  nlohmann::json destinations = nlohmann::json::array();
  for (const auto& d : destinationsOf(rendered)) {
    if (d.is_object()) destinations.push_back(d);
  }
  if (destinations.empty()) return std::nullopt;
  return store::EventAlert{*name, std::move(destinations)};
}

}  // namespace ramp::engine
