#include "router/RouteState.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/Home.h"
#include "core/Sha256.h"

namespace ramp::router {

using nlohmann::json;

RouteState::RouteState(DataPlane& plane, std::filesystem::path routesFile)
    : plane_(plane),
      file_(std::move(routesFile)),
      retry_(plane.io()),
      leaseTimer_(plane.io()),
      tlsTimer_(plane.io()),
      startedAt_(formatTime(plane.clock().now())),
      countersEpoch_(randomHex(8)) {}

Status RouteState::persist(const RouteTable& t) {
  if (file_.empty()) return ok();
  return writeFileAtomic(file_, t.toJson().dump(2) + "\n");
}

Status RouteState::load() {
  // Certificate files are watched whether or not there was a routes.json:
  // entry points made later through the admin API may have TLS too.
  pollTls();
  if (file_.empty() || !std::filesystem::exists(file_)) return ok();
  auto text = readFile(file_);
  if (!text) return std::unexpected(text.error());
  auto t = RouteTable::fromJson(*text, file_.string());
  if (!t) return std::unexpected(t.error());
  table_ = std::move(*t);
  bool anyFailed = false;
  for (auto& [name, ep] : table_.entrypoints) {
    if (auto st = bringUp(name, ep); !st) {
      listenErrors_[name] = st.error().describe();
      spdlog::error("entry point {}: {}", name, st.error().describe());
      anyFailed = true;
    }
    if (auto st = plane_.apply(name, ep.split, ep.generation); !st) return st;
  }
  if (anyFailed) retryBinds();
  // Leases keep running while the router is down: what is left of each.
  std::vector<std::string> ranOut;
  for (auto& [name, ep] : table_.entrypoints) {
    if (!ep.lease || ep.lease->state != "held") continue;
    if (ep.lease->expiresAtMs <= toUnixMillis(plane_.clock().now())) {
      ranOut.push_back(name);
    } else {
      armLease(name, *ep.lease);
    }
  }
  for (const auto& name : ranOut) expireLease(name);
  scheduleLeaseTimer();
  return ok();
}

void RouteState::armLease(const std::string& name, const LeaseRecord& lease) {
  int64_t left = lease.expiresAtMs - toUnixMillis(plane_.clock().now());
  left = std::clamp<int64_t>(left, 0, lease.leaseMs);  // a wall-clock jump never lengthens a lease
  leaseDeadlines_[name] = plane_.clock().monotonic() + Millis(left);
}

void RouteState::scheduleLeaseTimer() {
  leaseTimer_.cancel();
  if (leaseDeadlines_.empty()) return;
  MonoTime first = MonoTime::max();
  for (auto& [n, d] : leaseDeadlines_) first = std::min(first, d);
  auto wait = std::max(std::chrono::nanoseconds(0), first - plane_.clock().monotonic());
  leaseTimer_.expires_after(wait);
  leaseTimer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    MonoTime now = plane_.clock().monotonic();
    std::vector<std::string> due;
    for (auto& [n, d] : leaseDeadlines_)
      if (d <= now) due.push_back(n);
    for (const auto& n : due) expireLease(n);
    scheduleLeaseTimer();
  });
}

void RouteState::expireLease(const std::string& name) {
  leaseDeadlines_.erase(name);
  auto it = table_.entrypoints.find(name);
  if (it == table_.entrypoints.end() || !it->second.lease || it->second.lease->state != "held") return;
  RouteTable next = table_;
  auto& ep = next.entrypoints[name];
  const SplitRoute held = ep.split;
  LeaseRecord lease = *ep.lease;
  lease.state = "expired";
  lease.expiredAtMs = toUnixMillis(plane_.clock().now());
  lease.before = held;
  ep.lease = lease;
  ep.split = RouteTable::fallbackSplit(held);
  if (!ep.split.sameRouting(held)) ++ep.generation;
  std::string was;
  for (const auto& f : held.fleets) was += (was.empty() ? "" : " ") + f.id + "=" + std::to_string(f.weight);
  if (held.pin) was += " pin=" + held.pin->fleet;
  // The data plane falls back first; a disk error must not keep the canary.
  if (auto st = plane_.apply(name, ep.split, ep.generation); !st)
    spdlog::error("entry point {}: lease ran out but the fallback split could not be applied: {}", name,
                  st.error().describe());
  if (auto st = persist(next); !st)
    spdlog::error("entry point {}: lease expiry applied but not persisted (retried at the next change or start): {}",
                  name, st.error().describe());
  table_ = std::move(next);
  ++leaseExpirations_[name];
  spdlog::warn("entry point {}: lease of {} ms ran out without renewal (epoch {}); all traffic back to stable fleet {} "
               "(was: {})",
               name, lease.leaseMs, held.epoch, held.stable, was);
}

Status RouteState::bringUp(const std::string& name, const EntrypointRoute& ep) {
  std::shared_ptr<TlsCertificates> certs;
  if (ep.settings.tls) {
    auto loaded = TlsCertificates::load(*ep.settings.tls, "tls");
    if (!loaded) return std::unexpected(loaded.error());
    certs = *loaded;
  }
  // Settings first: the first connection accepted already gets them.
  if (auto st = plane_.configure(name, ep.settings.limits, certs); !st) return st;
  if (certs) {
    tls_[name] = certs;
  } else {
    tls_.erase(name);
  }
  auto port = plane_.listen(name, ep.port);
  if (!port) return std::unexpected(port.error());
  return ok();
}

void RouteState::retryBinds() {
  retry_.expires_after(std::chrono::seconds(1));
  retry_.async_wait([this](boost::system::error_code ec) {
    if (ec || plane_.stopping()) return;
    bool anyFailed = false;
    for (auto& [name, ep] : table_.entrypoints) {
      if (!listenErrors_.contains(name)) continue;
      if (auto st = bringUp(name, ep); st) {
        listenErrors_.erase(name);
        spdlog::info("entry point {}: listening on {}", name, ep.port);
      } else {
        listenErrors_[name] = st.error().describe();
        anyFailed = true;
      }
    }
    if (anyFailed) retryBinds();
  });
}

void RouteState::pollTls() {
  tlsTimer_.expires_after(std::chrono::seconds(2));
  tlsTimer_.async_wait([this](boost::system::error_code ec) {
    if (ec || plane_.stopping()) return;
    reloadTls(true);
    pollTls();
  });
}

void RouteState::reloadTls(bool onlyChanged) {
  for (auto& [name, certs] : tls_) {
    if (onlyChanged && !certs->changed()) continue;
    auto it = table_.entrypoints.find(name);
    if (it == table_.entrypoints.end() || !it->second.settings.tls) continue;
    auto loaded = TlsCertificates::load(*it->second.settings.tls, "tls");
    if (!loaded) {
      std::string msg = loaded.error().describe();
      if (tlsErrors_[name] != msg) spdlog::error("entry point {}: TLS reload failed, keeping the previous certificates: {}", name, msg);
      tlsErrors_[name] = msg;
      continue;
    }
    if (auto st = plane_.configure(name, it->second.settings.limits, *loaded); !st) continue;
    certs = *loaded;
    tlsErrors_.erase(name);
    spdlog::info("entry point {}: TLS certificates reloaded", name);
  }
}

Result<json> RouteState::ensureEntrypoint(const std::string& name, int port,
                                          const std::optional<EntrypointLimits>& limits,
                                          const std::optional<std::optional<TlsSettings>>& tls) {
  if (auto st = RouteTable::validateName(name); !st) return std::unexpected(st.error());
  if (port < 0 || port > 65535) return invalid("must be 0 (a free port) or 1..65535", "port");
  auto it = table_.entrypoints.find(name);
  EntrypointSettings settings = it == table_.entrypoints.end() ? EntrypointSettings{} : it->second.settings;
  if (limits) settings.limits = *limits;
  if (tls) settings.tls = *tls;
  std::shared_ptr<TlsCertificates> certs;
  if (settings.tls) {
    auto loaded = TlsCertificates::load(*settings.tls, "tls");
    if (!loaded) return std::unexpected(loaded.error());
    certs = *loaded;
  }
  if (it != table_.entrypoints.end()) {
    if (port != 0 && port != it->second.port)
      return conflict("entry point already listens on port " + std::to_string(it->second.port), "port");
    if (settings == it->second.settings) return describe(name);
    RouteTable next = table_;
    next.entrypoints[name].settings = settings;
    if (auto st = persist(next); !st) return std::unexpected(st.error());
    if (auto st = plane_.configure(name, settings.limits, certs); !st) return std::unexpected(st.error());
    table_ = std::move(next);
    if (certs) {
      tls_[name] = certs;
    } else {
      tls_.erase(name);
    }
    tlsErrors_.erase(name);
    return describe(name);
  }
  if (auto st = plane_.configure(name, settings.limits, certs); !st) return std::unexpected(st.error());
  auto bound = plane_.listen(name, port);
  if (!bound) {
    plane_.remove(name);
    return std::unexpected(bound.error());
  }
  RouteTable next = table_;
  EntrypointRoute ep;
  ep.name = name;
  ep.port = *bound;
  ep.fixedPort = port != 0;
  ep.settings = settings;
  next.entrypoints[name] = ep;
  if (auto st = persist(next); !st) {
    plane_.remove(name);
    return std::unexpected(st.error());
  }
  table_ = std::move(next);
  if (certs) tls_[name] = certs;
  (void)plane_.apply(name, ep.split, ep.generation);
  return describe(name);
}

Result<json> RouteState::setSplit(const std::string& name, const json& body) {
  auto it = table_.entrypoints.find(name);
  if (it == table_.entrypoints.end()) return notFound("no such entry point (PUT /admin/v1/entrypoints/" + name + " first)", name);
  auto split = RouteTable::parseSplit(body);
  if (!split) return std::unexpected(split.error());
  if (split->epoch < table_.highestEpoch)
    return conflict("epoch " + std::to_string(split->epoch) + " is older than " +
                        std::to_string(table_.highestEpoch) + ", the highest this router has seen",
                    "epoch");
  const bool same = it->second.split == *split;
  // The same split again changes nothing, except that it renews a held lease.
  if (same && !(split->leaseMs > 0 && it->second.lease && it->second.lease->state == "held")) return describe(name);
  RouteTable next = table_;
  auto& ep = next.entrypoints[name];
  if (!ep.split.sameRouting(*split)) ++ep.generation;
  ep.split = *split;
  next.highestEpoch = std::max(next.highestEpoch, split->epoch);
  if (split->leaseMs > 0) {
    int64_t now = toUnixMillis(plane_.clock().now());
    ep.lease = LeaseRecord{.state = "held", .leaseMs = split->leaseMs, .expiresAtMs = now + split->leaseMs,
                           .renewedAtMs = now, .expiredAtMs = 0, .before = std::nullopt};
  } else {
    ep.lease.reset();
  }
  if (auto st = persist(next); !st) return std::unexpected(st.error());
  if (!same) {
    if (auto st = plane_.apply(name, ep.split, ep.generation); !st) {
      (void)persist(table_);
      return std::unexpected(st.error());
    }
  }
  if (ep.lease) {
    armLease(name, *ep.lease);
  } else {
    leaseDeadlines_.erase(name);
  }
  table_ = std::move(next);
  scheduleLeaseTimer();
  return describe(name);
}

Result<json> RouteState::renewLease(const std::string& name, const json& body) {
  auto it = table_.entrypoints.find(name);
  if (it == table_.entrypoints.end()) return notFound("no such entry point", name);
  if (!body.is_object()) return invalid("body must be a JSON object", "body");
  for (auto& [k, v] : body.items())
    if (k != "epoch") return invalid("unknown field", k);
  auto e = body.find("epoch");
  if (e == body.end() || !e->is_number_integer() || e->get<int64_t>() < 0)
    return invalid("is required (a non-negative integer)", "epoch");
  int64_t epoch = e->get<int64_t>();
  if (epoch < table_.highestEpoch)
    return conflict("epoch " + std::to_string(epoch) + " is older than " + std::to_string(table_.highestEpoch) +
                        ", the highest this router has seen",
                    "epoch");
  const auto& lease = it->second.lease;
  if (!lease) return conflict("the split of " + name + " has no lease (PUT the split with lease_ms)", "lease");
  if (lease->state != "held")
    return conflict("the lease ran out at " + formatTime(fromUnixMillis(lease->expiredAtMs)) +
                        " and traffic went back to fleet " + it->second.split.stable +
                        "; PUT the split again to resume it",
                    "lease");
  RouteTable next = table_;
  auto& ep = next.entrypoints[name];
  int64_t now = toUnixMillis(plane_.clock().now());
  ep.lease->expiresAtMs = now + ep.lease->leaseMs;
  ep.lease->renewedAtMs = now;
  next.highestEpoch = std::max(next.highestEpoch, epoch);
  if (auto st = persist(next); !st) return std::unexpected(st.error());
  armLease(name, *ep.lease);
  table_ = std::move(next);
  scheduleLeaseTimer();
  return describe(name);
}

json RouteState::leaseJson(const std::string& name, const LeaseRecord& lease) const {
  json j = RouteTable::leaseToJson(lease);
  if (auto d = leaseDeadlines_.find(name); d != leaseDeadlines_.end()) {
    auto left = std::chrono::duration_cast<Millis>(d->second - plane_.clock().monotonic()).count();
    j["remaining_ms"] = std::max<int64_t>(0, left);
  }
  return j;
}

Result<json> RouteState::describe(const std::string& name) const {
  auto it = table_.entrypoints.find(name);
  if (it == table_.entrypoints.end()) return notFound("no such entry point", name);
  json j = RouteTable::entrypointToJson(it->second);
  if (it->second.lease) j["lease"] = leaseJson(name, *it->second.lease);
  j["listening"] = plane_.listening(name);
  j["connections"] = plane_.connections(name);
  if (auto e = listenErrors_.find(name); e != listenErrors_.end()) j["listen_error"] = e->second;
  if (auto t = tls_.find(name); t != tls_.end()) j["tls_names"] = t->second->names();
  if (auto e = tlsErrors_.find(name); e != tlsErrors_.end()) j["tls_error"] = e->second;
  for (auto& f : j["fleets"]) {
    auto c = plane_.allCounters().find({name, f["id"].get<std::string>()});
    FleetTotals t;
    if (c != plane_.allCounters().end()) t = c->second->total();
    f["inflight"] = t.inflight;
    f["tunnels"] = t.tunnels;
  }
  return j;
}

json RouteState::list() const {
  json a = json::array();
  for (const auto& [name, ep] : table_.entrypoints) a.push_back(*describe(name));
  return {{"entrypoints", a}};
}

Status RouteState::remove(const std::string& name) {
  if (!table_.entrypoints.contains(name)) return ok();
  RouteTable next = table_;
  next.entrypoints.erase(name);
  if (auto st = persist(next); !st) return st;
  plane_.remove(name);
  listenErrors_.erase(name);
  tls_.erase(name);
  tlsErrors_.erase(name);
  leaseDeadlines_.erase(name);
  leaseExpirations_.erase(name);
  table_ = std::move(next);
  return ok();
}

json RouteState::stats(const std::optional<std::string>& entrypoint) const {
  json fleets = json::array();
  json bounds = json::array();
  const auto& b = LatencyHistogram::bounds();
  for (size_t i = 0; i + 1 < b.size(); ++i) bounds.push_back(std::round(b[i] * 10000.0) / 10000.0);
  bounds.push_back("+Inf");
  for (const auto& [key, c] : plane_.allCounters()) {
    if (entrypoint && key.first != *entrypoint) continue;
    FleetTotals t = c->total();
    fleets.push_back({{"entrypoint", key.first},
                      {"fleet", key.second},
                      {"weight", plane_.weightOf(key.first, key.second)},
                      {"requests", t.requests},
                      {"status_1xx", t.status[0]},
                      {"status_2xx", t.status[1]},
                      {"status_3xx", t.status[2]},
                      {"status_4xx", t.status[3]},
                      {"status_5xx", t.status[4]},
                      {"upstream_errors", t.upstreamErrors},
                      {"fallbacks", t.fallbacks},
                      {"counters_epoch", countersEpoch_ + "-" + std::to_string(c->resetSerial)},
                      {"counters_since", formatTime(c->since)},
                      {"bytes_out", t.bytesOut},
                      {"inflight", t.inflight},
                      {"upgrades", t.upgrades},
                      {"tunnels", t.tunnels},
                      {"latency", {{"bounds_ms", bounds},
                                   {"counts", t.latencyCounts},
                                   {"count", t.latencyCount},
                                   {"sum_ms", t.latencySumMs}}}});
  }
  return {{"started_at", startedAt_},
          {"counters_epoch", countersEpoch_},
          {"at", formatTime(plane_.clock().now())},
          {"fleets", fleets}};
}

std::string RouteState::prometheus() const {
  std::string out;
  auto labels = [](const std::string& ep, const std::string& fl) {
    return fmt::format("entrypoint=\"{}\",fleet=\"{}\"", ep, fl);
  };
  // One sum over the io threads' shards per fleet, then every family.
  std::vector<std::pair<std::string, FleetTotals>> rows;
  std::vector<double> weights;
  for (const auto& [k, c] : plane_.allCounters()) {
    rows.emplace_back(labels(k.first, k.second), c->total());
    weights.push_back(plane_.weightOf(k.first, k.second) / 100.0);
  }
  auto family = [&](const char* name, const char* type, const char* help, auto value) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    for (size_t i = 0; i < rows.size(); ++i) out += fmt::format("{}{{{}}} {}\n", name, rows[i].first, value(i));
  };
  out += "# HELP ramp_router_requests_total Requests the fleet answered, by status class (the router's own 502/503/504 are in ramp_router_upstream_errors_total).\n"
         "# TYPE ramp_router_requests_total counter\n";
  for (const auto& [l, t] : rows)
    for (int k = 0; k < 5; ++k)
      out += fmt::format("ramp_router_requests_total{{{},code_class=\"{}xx\"}} {}\n", l, k + 1, t.status[k]);
  family("ramp_router_upstream_errors_total", "counter",
         "Requests the fleet failed: answered 502/503/504 by the router, or served by the stable fleet instead (fallback).",
         [&](size_t i) { return rows[i].second.upstreamErrors; });
  family("ramp_router_fallbacks_total", "counter",
         "Requests the fleet could not take (no instance accepted a connection) that the stable fleet served.",
         [&](size_t i) { return rows[i].second.fallbacks; });
  family("ramp_router_response_bytes_total", "counter", "Response bytes sent to clients (tunnels: server to client).",
         [&](size_t i) { return rows[i].second.bytesOut; });
  family("ramp_router_inflight", "gauge", "Requests in flight.", [&](size_t i) { return rows[i].second.inflight; });
  family("ramp_router_upgrades_total", "counter", "Connections upgraded (101) to a tunnel, e.g. WebSocket.",
         [&](size_t i) { return rows[i].second.upgrades; });
  family("ramp_router_tunnels", "gauge", "Upgraded connections open now.",
         [&](size_t i) { return rows[i].second.tunnels; });
  // A ratio (0..1) by Prometheus convention, like the controller's
  // ramp_fleet_traffic_weight_ratio; weights are kept internally in percent.
  family("ramp_router_fleet_traffic_weight_ratio", "gauge", "Share of the entry point's traffic sent to the fleet (0..1).",
         [&](size_t i) { return fmt::format("{:.6g}", weights[i]); });
  out += "# HELP ramp_router_request_duration_seconds Time from request head to the end of the response.\n"
         "# TYPE ramp_router_request_duration_seconds histogram\n";
  const auto& b = LatencyHistogram::bounds();
  for (const auto& [l, t] : rows) {
    uint64_t cum = 0;
    for (size_t i = 0; i + 1 < b.size(); ++i) {
      cum += t.latencyCounts[i];
      // Every 8th bucket (~48% apart) keeps the exposition small.
      if (i % 8 == 0 || i + 2 == b.size())
        out += fmt::format("ramp_router_request_duration_seconds_bucket{{{},le=\"{:.6g}\"}} {}\n", l, b[i] / 1000.0, cum);
    }
    out += fmt::format("ramp_router_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n", l, t.latencyCount);
    out += fmt::format("ramp_router_request_duration_seconds_sum{{{}}} {:.6f}\n", l, t.latencySumMs / 1000.0);
    out += fmt::format("ramp_router_request_duration_seconds_count{{{}}} {}\n", l, t.latencyCount);
  }
  out += "# HELP ramp_router_connections Open client connections of the entry point.\n# TYPE ramp_router_connections gauge\n";
  for (const auto& [name, ep] : table_.entrypoints)
    out += fmt::format("ramp_router_connections{{entrypoint=\"{}\"}} {}\n", name, plane_.connections(name));
  out += fmt::format("# HELP ramp_router_refused_connections_total Connections refused over an entry point's max_connections.\n"
                     "# TYPE ramp_router_refused_connections_total counter\nramp_router_refused_connections_total {}\n",
                     plane_.refused());
  out += "# HELP ramp_router_lease_expired Whether the entry point's weight lease ran out and the router moved its traffic to the stable fleet (1) or not (0).\n"
         "# TYPE ramp_router_lease_expired gauge\n";
  for (const auto& [name, ep] : table_.entrypoints)
    out += fmt::format("ramp_router_lease_expired{{entrypoint=\"{}\"}} {}\n", name,
                       ep.lease && ep.lease->state == "expired" ? 1 : 0);
  out += "# HELP ramp_router_lease_expirations_total Leases that ran out without renewal since the router started.\n"
         "# TYPE ramp_router_lease_expirations_total counter\n";
  for (const auto& [name, ep] : table_.entrypoints) {
    auto e = leaseExpirations_.find(name);
    out += fmt::format("ramp_router_lease_expirations_total{{entrypoint=\"{}\"}} {}\n", name,
                       e == leaseExpirations_.end() ? 0 : e->second);
  }
  out += "# HELP ramp_router_lease_remaining_seconds Time left on the entry point's held weight lease.\n"
         "# TYPE ramp_router_lease_remaining_seconds gauge\n";
  for (const auto& [name, d] : leaseDeadlines_) {
    double left = std::chrono::duration<double>(d - plane_.clock().monotonic()).count();
    out += fmt::format("ramp_router_lease_remaining_seconds{{entrypoint=\"{}\"}} {:.3f}\n", name, std::max(0.0, left));
  }
  out += fmt::format("# HELP ramp_router_counters_epoch_info The id of this router's counters (changes when they restart from zero).\n"
                     "# TYPE ramp_router_counters_epoch_info gauge\nramp_router_counters_epoch_info{{epoch=\"{}\"}} 1\n",
                     countersEpoch_);
  return out;
}

}  // namespace ramp::router
