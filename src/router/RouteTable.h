// RouteTable.h — the router's configuration: entry points, their ports and
// their traffic splits. This is what routes.json holds and what the admin
// API changes; the data plane (DataPlane) applies it.
//
// JSON form (routes.json, version 1):
//   {"version":1,"highest_epoch":E,"entrypoints":[{"name":"crawler.prod.local",
//    "port":P,"fixed_port":false,"epoch":E,"generation":G,
//    "fleets":[{"id":"fleet-a","weight":90,"backends":["127.0.0.1:5001"]}],
//    "pin":{"header":"X-Ramp-Canary","cookie":"ramp-canary","fleet":"fleet-b"}|null}]}
//
// parseSplit() validates an admin request body and names the offending
// field ("fleets[1].weight: ...") on error. Rules: epoch a non-negative
// integer; fleet ids unique, [A-Za-z0-9._-]{1,128}; weights integers 0..100
// summing to 100 when any fleet is listed; backends "IPv4:port" or
// "localhost:port"; a fleet with weight > 0 has at least one backend; the
// pin names a listed fleet and a header and/or a cookie.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/Result.h"

namespace ramp::router {

struct FleetRoute {
  std::string id;
  int weight = 0;
  std::vector<std::string> backends;  // "host:port"
  bool operator==(const FleetRoute&) const = default;
};

struct PinRoute {
  std::string header;  // request header name; any value pins
  std::string cookie;  // cookie name; any value pins
  std::string fleet;
  bool operator==(const PinRoute&) const = default;
};

struct SplitRoute {
  int64_t epoch = 0;
  std::vector<FleetRoute> fleets;
  std::optional<PinRoute> pin;
  bool operator==(const SplitRoute&) const = default;
};

struct EntrypointRoute {
  std::string name;
  int port = 0;
  bool fixedPort = false;
  uint64_t generation = 0;
  SplitRoute split;
};

class RouteTable {
 public:
  int64_t highestEpoch = 0;
  std::map<std::string, EntrypointRoute> entrypoints;

  nlohmann::json toJson() const;
  static Result<RouteTable> fromJson(const std::string& text, const std::string& where);

  static Status validateName(const std::string& name);
  // Validates an admin PUT .../split body.
  static Result<SplitRoute> parseSplit(const nlohmann::json& body);
  static nlohmann::json splitToJson(const SplitRoute& split);
  static nlohmann::json entrypointToJson(const EntrypointRoute& ep);
};

}  // namespace ramp::router
