#include "providers/local/RouterTrafficProvider.h"

#include <limits>

#include <nlohmann/json.hpp>

#include "router/AdminClient.h"

namespace ramp::providers {

using nlohmann::json;

RouterTrafficProvider::RouterTrafficProvider(std::filesystem::path home, std::filesystem::path rampBinary,
                                             std::map<EntrypointKey, int> fixedPorts, Clock& clock, Millis timeout)
    : home_(std::move(home)), rampBinary_(std::move(rampBinary)), fixedPorts_(std::move(fixedPorts)), clock_(clock),
      timeout_(timeout) {}

std::string RouterTrafficProvider::entrypointName(const EntrypointKey& key) {
  return key.service + "." + key.env + "." + key.region;
}

Result<json> RouterTrafficProvider::call(std::string_view method, const std::string& path,
                                         const std::optional<json>& body) {
  std::lock_guard lock(mu_);
  // At most two tries: with the known router, then with a (re)started one.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!endpoint_) {
      auto ep = router::ensureRouterRunning(home_, rampBinary_, timeout_);
      if (!ep) return std::unexpected(ep.error());
      endpoint_ = *ep;
    }
    router::AdminClient client(endpoint_->adminAddress, endpoint_->token, timeout_);
    auto r = client.call(method, path, body);
    if (r || (r.error().code != ErrorCode::kUnavailable && r.error().code != ErrorCode::kUnauthenticated))
      return r;
    endpoint_.reset();
    if (attempt == 1) return r;
  }
  return unavailable("router unreachable");
}

Result<std::string> RouterTrafficProvider::ensureEntrypoint(const EntrypointKey& key) {
  auto it = fixedPorts_.find(key);
  return ensureEntrypoint(key, it == fixedPorts_.end() ? 0 : it->second);
}

Result<std::string> RouterTrafficProvider::ensureEntrypoint(const EntrypointKey& key, int port) {
  auto r = call("PUT", "/admin/v1/entrypoints/" + entrypointName(key), json{{"port", port}});
  if (!r) return std::unexpected(r.error());
  return r->value("url", std::string());
}

Status RouterTrafficProvider::setTraffic(const TrafficSplit& split) {
  json fleets = json::array();
  for (const auto& f : split.fleets) fleets.push_back({{"id", f.fleetId}, {"weight", f.weight}, {"backends", f.backends}});
  json pin = nullptr;
  if (split.pin) pin = {{"header", split.pin->header}, {"cookie", split.pin->cookie}, {"fleet", split.pin->fleetId}};
  json body{{"epoch", split.epoch}, {"fleets", fleets}, {"pin", pin}};
  if (!split.stable.empty()) body["stable"] = split.stable;
  if (split.leaseMs > 0) body["lease_ms"] = split.leaseMs;
  auto r = call("PUT", "/admin/v1/entrypoints/" + entrypointName(split.key) + "/split", body);
  if (!r) return std::unexpected(r.error());
  return ok();
}

Status RouterTrafficProvider::renewLease(const EntrypointKey& key, int64_t epoch) {
  auto r = call("POST", "/admin/v1/entrypoints/" + entrypointName(key) + "/lease", json{{"epoch", epoch}});
  if (!r) return std::unexpected(r.error());
  return ok();
}

namespace {

std::optional<Pinning> pinOf(const json& pin) {
  if (pin.is_null()) return std::nullopt;
  return Pinning{pin.value("header", ""), pin.value("cookie", ""), pin.value("fleet", "")};
}

std::vector<FleetWeight> fleetsOf(const json& fleets) {
  std::vector<FleetWeight> out;
  for (const auto& f : fleets)
    out.push_back({f.at("id").get<std::string>(), f.at("weight").get<int>(),
                   f.at("backends").get<std::vector<std::string>>()});
  return out;
}

}  // namespace

Result<TrafficSplit> RouterTrafficProvider::appliedTraffic(const EntrypointKey& key) {
  auto r = call("GET", "/admin/v1/entrypoints/" + entrypointName(key));
  if (!r) return std::unexpected(r.error());
  TrafficSplit s;
  s.key = key;
  try {
    s.epoch = r->value("epoch", int64_t{0});
    s.fleets = fleetsOf(r->at("fleets"));
    s.pin = pinOf(r->at("pin"));
    if (auto st = r->find("stable"); st != r->end() && st->is_string()) s.stable = st->get<std::string>();
    if (auto lm = r->find("lease_ms"); lm != r->end() && lm->is_number_integer()) s.leaseMs = lm->get<int64_t>();
    if (auto l = r->find("lease"); l != r->end() && l->is_object()) {
      TrafficLease lease;
      lease.state = l->at("state").get<std::string>();
      lease.leaseMs = l->value("lease_ms", int64_t{0});
      lease.expiresAtMs = l->value("expires_at_ms", int64_t{0});
      lease.remainingMs = l->value("remaining_ms", int64_t{0});
      lease.expiredAtMs = l->value("expired_at_ms", int64_t{0});
      if (auto b = l->find("before"); b != l->end() && b->is_object()) {
        lease.before = fleetsOf(b->at("fleets"));
        lease.beforePin = pinOf(b->value("pin", json()));
      }
      s.lease = std::move(lease);
    }
  } catch (const std::exception& e) {
    return unavailable(std::string("unexpected answer from the router: ") + e.what(), entrypointName(key));
  }
  return s;
}

Result<int64_t> RouterTrafficProvider::inflight(const EntrypointKey& key, const std::string& fleetId) {
  auto r = call("GET", "/admin/v1/entrypoints/" + entrypointName(key));
  if (!r) return std::unexpected(r.error());
  for (const auto& f : r->value("fleets", json::array()))
    if (f.value("id", "") == fleetId) return f.value("inflight", int64_t{0});
  return int64_t{0};  // not in the split: nothing can be in flight to it any more
}

Result<FleetMetrics> RouterTrafficProvider::fleetMetrics(const EntrypointKey& key, const std::string& fleetId) {
  auto r = call("GET", "/admin/v1/entrypoints/" + entrypointName(key) + "/stats");
  if (!r) return std::unexpected(r.error());
  for (const auto& f : r->value("fleets", json::array())) {
    if (f.value("fleet", "") != fleetId) continue;
    FleetMetrics m;
    m.fleetId = fleetId;
    m.at = toUnixMillis(clock_.now());
    m.requests = f.value("requests", uint64_t{0});
    m.status2xx = f.value("status_2xx", uint64_t{0});
    m.status3xx = f.value("status_3xx", uint64_t{0});
    m.status4xx = f.value("status_4xx", uint64_t{0});
    m.status5xx = f.value("status_5xx", uint64_t{0});
    m.upstreamErrors = f.value("upstream_errors", uint64_t{0});
    m.fallbacks = f.value("fallbacks", uint64_t{0});
    m.countersEpoch = f.value("counters_epoch", std::string());
    m.bytesOut = f.value("bytes_out", uint64_t{0});
    for (const auto& b : f["latency"]["bounds_ms"])
      m.latencyBoundsMs.push_back(b.is_number() ? b.get<double>() : std::numeric_limits<double>::infinity());
    for (const auto& c : f["latency"]["counts"]) m.latencyCounts.push_back(c.get<uint64_t>());
    return m;
  }
  return notFound("fleet " + fleetId + " has never been in a split of this entry point", entrypointName(key));
}

}  // namespace ramp::providers
