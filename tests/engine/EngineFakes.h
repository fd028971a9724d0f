// EngineFakes.h — one fake per interface the engine uses: fleets, traffic,
// releases. Deterministic and in memory; the store is the real SQLite one.
// Each fake's calls are serialised by its own mutex (the engine may call
// them from its workers); tests read their public fields between ticks.
#pragma once

#include <algorithm>
#include <limits>
#include <optional>
#include <vector>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "core/Clock.h"
#include "engine/ReleaseCatalog.h"
#include "providers/AlarmSource.h"
#include "providers/Provider.h"

namespace ramp::fakes {

class FakeFleets final : public providers::FleetProvider {
 public:
  bool healthyOnCreate = true;
  std::map<std::string, providers::FleetSpec> fleets;
  std::set<std::string> retired;
  int creates = 0;
  // Scaling: a fleet's current desired capacity when its policy moved it
  // (else spec.instances), which fleets are held, and a shared journal of
  // hold/release calls (FakeTraffic writes its setTraffic calls to it too).
  std::map<std::string, int> scaledTo;
  std::set<std::string> held;
  std::vector<std::string>* journal = nullptr;
  std::optional<Error> retireError;  // set: every retireFleet fails with it
  std::map<std::string, int> restarts;  // a fleet's first instance's restart count

  Status createFleet(const providers::FleetSpec& spec) override {
    std::lock_guard lock(mu);
    ++creates;
    fleets[spec.fleetId] = spec;
    if (!healthy.contains(spec.fleetId)) healthy[spec.fleetId] = healthyOnCreate;
    return ok();
  }
  Result<providers::FleetStatus> fleetStatus(const std::string& id) override {
    std::lock_guard lock(mu);
    providers::FleetStatus st;
    st.fleetId = id;
    auto it = fleets.find(id);
    if (it == fleets.end() || retired.contains(id)) return st;
    st.exists = true;
    st.desired = scaledTo.contains(id) ? scaledTo[id] : it->second.instances;
    st.running = st.desired;
    for (int i = 0; i < st.desired; ++i) {
      providers::InstanceStatus inst;
      inst.id = id + "-" + std::to_string(i);
      inst.address = "127.0.0.1:" + std::to_string(10000 + i) + "/" + id;
      inst.state = healthy[id] ? "healthy" : "starting";
      if (!healthy[id]) inst.lastError = "connection refused";
      if (i == 0 && restarts.contains(id)) inst.restarts = restarts[id];
      st.instances.push_back(inst);
    }
    st.healthy = healthy[id] ? st.desired : 0;
    return st;
  }
  Status retireFleet(const std::string& id, std::chrono::milliseconds) override {
    std::lock_guard lock(mu);
    if (retireError) return std::unexpected(*retireError);
    retired.insert(id);
    return ok();
  }
  Result<std::vector<std::string>> listFleets(const std::optional<std::string>&,
                                              const std::optional<std::string>&) override {
    std::lock_guard lock(mu);
    std::vector<std::string> out;
    for (auto& [id, s] : fleets) {
      if (!retired.contains(id)) out.push_back(id);
    }
    return out;
  }
  Status holdScaling(const std::string& id, bool hold) override {
    std::lock_guard lock(mu);
    if (journal) journal->push_back((hold ? "hold:" : "release:") + id);
    if (hold) held.insert(id);
    else held.erase(id);
    return ok();
  }
  bool alive(const std::string& id) const { return fleets.contains(id) && !retired.contains(id); }
  std::map<std::string, bool> healthy;
  std::mutex mu;
};

class FakeTraffic final : public providers::TrafficProvider {
 public:
  std::map<providers::EntrypointKey, providers::TrafficSplit> applied;
  int sets = 0;
  bool dropWrites = false;  // simulates a data plane that does not apply a change
  std::vector<std::string>* journal = nullptr;  // "traffic:<fleet>=<weight>,..." per setTraffic
  // Set: every ensureEntrypoint / setTraffic fails with it (a provider
  // whose credentials were revoked, whose load balancer is gone, ...).
  std::optional<Error> entrypointError, setError;

  Result<std::string> ensureEntrypoint(const providers::EntrypointKey& key) override {
    std::lock_guard lock(mu);
    if (entrypointError) return std::unexpected(*entrypointError);
    return "http://127.0.0.1:18080/" + key.service;
  }
  // Weight leases as the local router keeps them (docs/router.md "Failing
  // safe"), on `clock` when set: a split with leaseMs is held until
  // expiresAt unless renewed; at expiry (seen on the next call) the split
  // becomes stable 100 / others 0 / no pin and the lease "expired". Without
  // a clock a lease never runs out by itself (expireLease does it).
  Clock* clock = nullptr;
  int renewals = 0;
  int expirations = 0;

  Status setTraffic(const providers::TrafficSplit& split) override {
    std::lock_guard lock(mu);
    if (setError) return std::unexpected(*setError);
    ++sets;
    if (journal) {
      std::string e = "traffic:";
      for (auto& f : split.fleets) e += f.fleetId + "=" + std::to_string(f.weight) + ",";
      journal->push_back(e);
    }
    if (dropWrites) return ok();
    auto s = split;
    s.lease.reset();
    if (split.leaseMs > 0) {
      providers::TrafficLease l;
      l.state = "held";
      l.leaseMs = split.leaseMs;
      l.expiresAtMs = nowMs() + split.leaseMs;
      s.lease = l;
    }
    applied[split.key] = s;
    return ok();
  }
  Result<providers::TrafficSplit> appliedTraffic(const providers::EntrypointKey& key) override {
    std::lock_guard lock(mu);
    auto it = applied.find(key);
    if (it == applied.end()) {
      providers::TrafficSplit none;
      none.key = key;
      return none;
    }
    runDown(key);
    return it->second;
  }
  Status renewLease(const providers::EntrypointKey& key, int64_t) override {
    std::lock_guard lock(mu);
    runDown(key);
    auto it = applied.find(key);
    if (it == applied.end() || !it->second.lease) return conflict("the split has no lease", "lease");
    if (it->second.lease->state != "held") return conflict("the lease ran out", "lease");
    ++renewals;
    it->second.lease->expiresAtMs = nowMs() + it->second.lease->leaseMs;
    it->second.lease->remainingMs = it->second.lease->leaseMs;
    return ok();
  }
  // The lease of `key` runs out now: the data plane's fallback split.
  void expireLease(const providers::EntrypointKey& key) {
    std::lock_guard lock(mu);
    auto& s = applied[key];
    if (!s.lease || s.lease->state != "held") return;
    ++expirations;
    s.lease->state = "expired";
    s.lease->expiredAtMs = nowMs();
    s.lease->before = s.fleets;
    s.lease->beforePin = s.pin;
    for (auto& f : s.fleets) f.weight = f.fleetId == s.stable ? 100 : 0;
    s.pin.reset();
    s.leaseMs = 0;
    if (journal) journal->push_back("lease expired");
  }
  Result<int64_t> inflight(const providers::EntrypointKey&, const std::string&) override { return 0; }

  // Regions out of DNS (TrafficProvider::drainRegion): what the engine last
  // asked for per entry point. With drainLag > 0 a new drain is not in
  // effect (false) for that many calls, as a DNS change being read back.
  std::map<providers::EntrypointKey, bool> drained;
  int drainLag = 0;
  std::map<providers::EntrypointKey, int> drainLagLeft;
  // The most regions of one service+env asked out of DNS at the same time,
  // at any call (also within one tick, which polling between ticks misses).
  int maxDrainedAtOnce = 0;
  Result<bool> drainRegion(const providers::EntrypointKey& key, bool drain) override {
    std::lock_guard lock(mu);
    const bool was = drained[key];
    drained[key] = drain;
    int now = 0;
    for (const auto& [k, dr] : drained) now += dr && k.service == key.service && k.env == key.env ? 1 : 0;
    maxDrainedAtOnce = std::max(maxDrainedAtOnce, now);
    if (!drain) return true;
    if (!was) drainLagLeft[key] = drainLag;
    if (drainLagLeft[key] > 0) {
      --drainLagLeft[key];
      return false;
    }
    return true;
  }
  bool isDrained(const providers::EntrypointKey& key) {
    std::lock_guard lock(mu);
    auto it = drained.find(key);
    return it != drained.end() && it->second;
  }

  int64_t nowMs() const { return clock ? toUnixMillis(clock->now()) : 0; }
  void runDown(const providers::EntrypointKey& key) {
    auto it = applied.find(key);
    if (it == applied.end() || !it->second.lease || it->second.lease->state != "held") return;
    if (!clock) {
      it->second.lease->remainingMs = it->second.lease->leaseMs;
      return;
    }
    it->second.lease->remainingMs = it->second.lease->expiresAtMs - nowMs();
    if (it->second.lease->remainingMs <= 0) expireLease(key);
  }
  std::recursive_mutex mu;  // runDown may expire a lease under it

  int weightOf(const std::string& service, const std::string& fleet) {
    std::lock_guard lock(mu);
    for (auto& [k, s] : applied) {
      if (k.service != service) continue;
      for (auto& f : s.fleets) {
        if (f.fleetId == fleet) return f.weight;
      }
    }
    return -1;
  }
};

// Counters per fleet that a test moves forward by hand.
class FakeMetrics final : public providers::MetricsProvider {
 public:
  std::map<std::string, providers::FleetMetrics> fleets;
  std::optional<Error> error;  // every read fails with it while set
  Result<providers::FleetMetrics> fleetMetrics(const providers::EntrypointKey&, const std::string& id) override {
    std::lock_guard lock(mu);
    if (error) return std::unexpected(*error);
    auto& m = fleets[id];
    m.fleetId = id;
    if (m.latencyBoundsMs.empty()) {
      m.latencyBoundsMs = {10, 20, 50, 100, std::numeric_limits<double>::infinity()};
      m.latencyCounts = {0, 0, 0, 0, 0};
    }
    return m;
  }
  std::mutex mu;
  // Adds `requests` requests of which `errors` failed, all in latency bucket `bucket`.
  void serve(const std::string& id, uint64_t requests, uint64_t errors, size_t bucket = 1) {
    (void)fleetMetrics({}, id);
    std::lock_guard lock(mu);
    auto& m = fleets[id];
    m.requests += requests;
    m.status5xx += errors;
    m.status2xx += requests - errors;
    m.latencyCounts[bucket] += requests;
  }
  // Adds perBucket[i] requests in latency bucket i (bounds 10, 20, 50, 100 ms, +inf), none failed.
  void serveLatencies(const std::string& id, const std::vector<uint64_t>& perBucket) {
    for (size_t i = 0; i < perBucket.size(); ++i) serve(id, perBucket[i], 0, i);
  }
  // The data plane restarted: every fleet's counters from zero, in `epoch`.
  void restart(const std::string& epoch) {
    std::lock_guard lock(mu);
    for (auto& [id, m] : fleets) {
      auto bounds = m.latencyBoundsMs;
      m = providers::FleetMetrics{};
      m.fleetId = id;
      m.latencyBoundsMs = bounds;
      m.latencyCounts.assign(bounds.size(), 0);
      m.countersEpoch = epoch + "-" + id;
    }
  }
};

// Alarms a test sets firing (or failing) by hand.
class FakeAlarms final : public providers::AlarmSource {
 public:
  std::vector<std::string> firing;
  std::optional<Error> error;  // set: every look fails with it
  std::vector<std::string> lastNames;
  int looks = 0;
  std::mutex mu;
  Result<std::vector<std::string>> alarmsInAlarm(const providers::EntrypointKey&,
                                                 const std::vector<std::string>& names) override {
    std::lock_guard lock(mu);
    ++looks;
    lastNames = names;
    if (error) return std::unexpected(*error);
    std::vector<std::string> out;
    for (auto& n : names) {
      if (std::find(firing.begin(), firing.end(), n) != firing.end()) out.push_back(n);
    }
    return out;
  }
};

class FakeReleases final : public engine::ReleaseCatalog {
 public:
  std::set<std::string> tampered;  // versions whose files "changed on disk"
  // By version: the next N calls of find / verify fail with kUnavailable
  // (the store behind the catalog cannot answer).
  std::map<std::string, int> findsUnavailable, verifiesUnavailable;
  std::mutex mu;
  Result<engine::ReleaseRef> find(const std::string& service, const std::string& version) override {
    std::lock_guard lock(mu);
    if (findsUnavailable[version] > 0 && findsUnavailable[version]--) {
      return unavailable("query failed: server closed the connection", "store");
    }
    if (version == "missing") return notFound("no release " + service + " " + version, "version");
    return engine::ReleaseRef{service, version, "sha256:" + std::string(64, version[0]), "/releases/" + version, 0};
  }
  Status verify(const engine::ReleaseRef& r) override {
    std::lock_guard lock(mu);
    if (verifiesUnavailable[r.version] > 0 && verifiesUnavailable[r.version]--) {
      return unavailable("query failed: server closed the connection", "store");
    }
    if (tampered.contains(r.version)) {
      return failedPrecondition("release " + r.service + " " + r.version + " changed on disk");
    }
    return ok();
  }
};

}  // namespace ramp::fakes
