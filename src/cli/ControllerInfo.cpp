#include "cli/ControllerInfo.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/Home.h"

namespace ramp::cli {

std::optional<ControllerInfo> controllerInfo(const std::filesystem::path& home) {
  auto data = readFile(home / "controller.json", 1 << 16);
  if (!data) return std::nullopt;
  auto j = nlohmann::json::parse(*data, nullptr, false);
  if (!j.is_object() || !j.contains("address") || !j["address"].is_string()) return std::nullopt;
  ControllerInfo c;
  c.address = j["address"].get<std::string>();
  c.url = j.contains("url") && j["url"].is_string() ? j["url"].get<std::string>() : "http://" + c.address;
  c.pid = j.value("pid", int64_t{0});
  c.role = j.value("role", std::string("leader"));
  c.startedAt = j.value("started_at", std::string());
  c.store = j.value("store", std::string());
  c.tokenFile = home / "admin.token";
  return c;
}

std::string describeController(const ControllerInfo& c) {
  std::string out = fmt::format("  API        {}\n", c.url);
  out += fmt::format("  dashboard  {}  (log in with a token: the admin's is in {})\n", c.dashboardUrl(),
                     c.tokenFile.string());
  out += fmt::format("  pid {}, {}{}{}\n", c.pid, c.role.empty() ? "leader" : c.role,
                     c.startedAt.empty() ? "" : " since " + c.startedAt, c.store.empty() ? "" : ", store " + c.store);
  return out;
}

}  // namespace ramp::cli
