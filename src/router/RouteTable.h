// RouteTable.h — the router's configuration: entry points, their ports and
// their traffic splits. This is what routes.json holds and what the admin
// API changes; the data plane (DataPlane) applies it.
//
// JSON form (routes.json, version 1):
//   {"version":1,"highest_epoch":E,"entrypoints":[{"name":"crawler.prod.local",
//    "port":P,"fixed_port":false,"epoch":E,"generation":G,
//    "limits":{...},"tls":{...}|null,               (EntrypointSettings.h)
//    "fleets":[{"id":"fleet-a","weight":90,"backends":["127.0.0.1:5001"]}],
//    "pin":{"header":"X-Ramp-Canary","cookie":"ramp-canary","fleet":"fleet-b"}|null,
//    "stable":"fleet-a"|null,"lease_ms":10000|null,
//    "lease":{"state":"held","expires_at_ms":..}|{"state":"expired",..}|null}]}
//
// parseSplit() validates an admin request body and names the offending
// field ("fleets[1].weight: ...") on error. Rules: epoch a non-negative
// integer; fleet ids unique, [A-Za-z0-9._-]{1,128}; weights integers 0..100
// summing to 100 when any fleet is listed; backends "IPv4:port" or
// "localhost:port"; a fleet with weight > 0 has at least one backend; the
// pin names a listed fleet and a header and/or a cookie; `stable` names a
// listed fleet that has backends; `lease_ms` (kMinLeaseMs..kMaxLeaseMs)
// needs `stable`.
//
// Lease (issue #16, the data plane failing safe without its controller): a
// split with lease_ms holds its weights for that long after it was applied
// or last renewed; when it runs out the router itself moves all traffic to
// the stable fleet (RouteState). LeaseRecord is that state as persisted.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/Result.h"
#include "router/EntrypointSettings.h"

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
  std::string stable;    // the fleet that takes over on fallback and lease expiry ("" = none)
  int64_t leaseMs = 0;   // 0 = no lease
  bool operator==(const SplitRoute&) const = default;
  // Same fleets/weights/backends and pin (what routing depends on).
  bool sameRouting(const SplitRoute& o) const { return fleets == o.fleets && pin == o.pin && stable == o.stable; }
  int indexOf(const std::string& fleet) const;
};

// The lease of an entry point's split. state "held": the split stands until
// expiresAtMs (Unix ms) unless renewed. state "expired": the lease ran out
// at expiredAtMs, the router replaced the split by "everything to stable"
// and `before` is the split that was held (fleets and pin, for the
// controller to decide what to do).
struct LeaseRecord {
  std::string state;         // "held" | "expired"
  int64_t leaseMs = 0;
  int64_t expiresAtMs = 0;   // held: when it runs out without renewal
  int64_t renewedAtMs = 0;   // held: last apply or renewal
  int64_t expiredAtMs = 0;   // expired: when it ran out
  std::optional<SplitRoute> before;  // expired: the split that was held
  bool operator==(const LeaseRecord&) const = default;
};

struct EntrypointRoute {
  std::string name;
  int port = 0;
  bool fixedPort = false;
  uint64_t generation = 0;
  SplitRoute split;
  std::optional<LeaseRecord> lease;
  EntrypointSettings settings;  // timeouts, limits, TLS
};

inline constexpr int64_t kMinLeaseMs = 100;
inline constexpr int64_t kMaxLeaseMs = 24LL * 3600 * 1000;

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
  // The entry point as persisted (and as the admin API shows it, before
  // live fields such as inflight are added).
  static nlohmann::json entrypointToJson(const EntrypointRoute& ep);
  static nlohmann::json leaseToJson(const LeaseRecord& lease);
  // The split the router falls back to when a lease runs out: the stable
  // fleet at 100, every other fleet at 0 (kept listed, so it drains), no pin,
  // no lease.
  static SplitRoute fallbackSplit(const SplitRoute& held);
};

}  // namespace ramp::router
