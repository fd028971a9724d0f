// ControllerInfo.h — where a world's controller is, as its controller.json
// records it (written by `ramp serve` once it serves, removed when it
// stops): for `ramp serve` (already running: where), `ramp status` (the
// controller and dashboard line) and the demo.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace ramp::cli {

struct ControllerInfo {
  std::string url;        // API base URL, e.g. http://127.0.0.1:41234
  std::string address;    // host:port it listens on
  int64_t pid = 0;
  std::string role;       // leader | follower
  std::string startedAt;  // RFC 3339
  std::string store;      // sqlite | postgresql
  std::filesystem::path tokenFile;  // the admin token of the home

  // The dashboard is served at the API's root.
  std::string dashboardUrl() const { return url + "/"; }
};

// controller.json of `home`, if it is there and readable (whether the
// controller still answers is for the caller to check: runningController).
std::optional<ControllerInfo> controllerInfo(const std::filesystem::path& home);

// Lines for people: API, dashboard (and the token to log in with), pid,
// role, since when, store. Each line indented by two spaces.
std::string describeController(const ControllerInfo& c);

}  // namespace ramp::cli
