// Provider.h — what ramp needs from a place that runs fleets and routes traffic.
//
// Three small interfaces, one concern each, so that an environment can mix
// them (and tests can fake each alone):
//
//   FleetProvider    create a fleet of N instances of a release, read its
//                    health, retire it, list what exists
//   TrafficProvider  set weights over fleets behind an entry point, read back
//                    what the data plane actually applied
//   MetricsProvider  per-fleet request counters and latency histograms
//
// Mapping (docs/providers.md):
//   local: fleet = N processes (own process groups) of the release;
//          traffic = the ramp router's admin API; metrics = router counters.
//   aws:   fleet = Auto Scaling group + launch template version;
//          traffic = ALB listener forward action with weighted target groups;
//          health = target health; metrics = CloudWatch (GetMetricData).
//
// Contract: every call is idempotent and safe to repeat after a crash.
// createFleet of an id that already exists converges it to the spec (it
// never makes a twin); retireFleet of an unknown or retired fleet is OK;
// setTraffic of the split already applied changes nothing. Calls carry the
// controller's lease epoch where the target can check it; a target that
// sees a newer epoch refuses older ones with kConflict.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <tuple>
#include <optional>
#include <string>
#include <vector>

#include "core/Result.h"

namespace ramp::providers {

// Health check of one instance, from the service's config.
struct HealthCheckSpec {
  std::string path = "/healthz";
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds timeout{500};
  int healthyThreshold = 1;    // consecutive successes to become healthy
  int unhealthyThreshold = 3;  // consecutive failures to become unhealthy
};

// How one instance runs. Values in `env` may hold references
// (${env:NAME}, ${secret:NAME}); they are resolved only when an instance
// starts and never written anywhere.
struct RunSpec {
  std::string command;                 // relative to the release root, or absolute
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
};

// Target-tracking autoscaling of a fleet (config: service.scaling). The
// fleet's size moves between min and max; `instances` of the spec is where
// it starts.
struct ScalingSpec {
  int min = 1;
  int max = 1;
  std::string metric;   // "requests" (per instance, aws: ALBRequestCountPerTarget) | "cpu" (percent)
  double target = 0;    // > 0
  bool operator==(const ScalingSpec& o) const = default;
};

struct FleetSpec {
  std::string fleetId;      // deterministic, unique in the world
  std::string deploymentId; // the deployment that creates it (aws: tag ramp:deployment); may be empty
  std::string service;
  std::string env;
  std::string region;
  std::string releaseVersion;
  std::string releaseDigest;  // "sha256:<hex>", verified before every start
  std::string releasePath;    // local: the release's read-only directory
  std::string instanceType;   // aws: EC2 type; local: informative
  int instances = 1;         // with scaling: the starting (desired) capacity
  std::optional<ScalingSpec> scaling;  // absent: fixed size
  RunSpec run;
  HealthCheckSpec health;
  int64_t epoch = 0;          // the controller's lease epoch
};

struct InstanceStatus {
  std::string id;
  std::string address;        // host:port
  int64_t pid = 0;            // local only
  std::string state;          // starting|healthy|unhealthy|exited|replaced
  int restarts = 0;
  std::string lastError;      // last health check failure or exit status
};

struct FleetStatus {
  std::string fleetId;
  bool exists = false;
  int desired = 0;
  int running = 0;
  int healthy = 0;
  std::vector<InstanceStatus> instances;
  std::string error;          // e.g. "release digest changed on disk; refused to start"
};

class FleetProvider {
 public:
  virtual ~FleetProvider() = default;
  virtual Status createFleet(const FleetSpec& spec) = 0;
  virtual Result<FleetStatus> fleetStatus(const std::string& fleetId) = 0;
  // Stops routing-independent work, waits up to `drain` for in-flight work,
  // then stops every instance. Leaves no process / resource behind.
  virtual Status retireFleet(const std::string& fleetId, std::chrono::milliseconds drain) = 0;
  // Fleets that exist for service/env (both optional), e.g. after a restart.
  virtual Result<std::vector<std::string>> listFleets(const std::optional<std::string>& service,
                                                      const std::optional<std::string>& env) = 0;
  // hold = true: the fleet's size stays where it is (no scale-out, scale-in,
  // rebalancing) until released with hold = false. Idempotent; an unknown or
  // retired fleet is OK. The engine holds both fleets while traffic moves.
  // Default: nothing to hold (fixed-size fleets, the local provider).
  virtual Status holdScaling(const std::string& fleetId, bool hold) {
    (void)fleetId;
    (void)hold;
    return ok();
  }
};

// Where users reach a service in one environment and region.
struct EntrypointKey {
  std::string service;
  std::string env;
  std::string region;
  bool operator<(const EntrypointKey& o) const {
    return std::tie(service, env, region) < std::tie(o.service, o.env, o.region);
  }
  bool operator==(const EntrypointKey& o) const = default;
};

struct FleetWeight {
  std::string fleetId;
  int weight = 0;                           // 0..100; weights of a split sum to 100
  std::vector<std::string> backends;        // local: host:port of healthy instances
  bool operator==(const FleetWeight& o) const = default;
};

// Optional pinning of chosen users to one fleet (the canary).
struct Pinning {
  std::string header;       // e.g. "X-Ramp-Canary"; a request carrying it (any value) goes to fleetId
  std::string cookie;       // e.g. "ramp-canary"; likewise
  std::string fleetId;
  bool operator==(const Pinning& o) const = default;
};

// The state of a split's lease, as the data plane reports it (local router;
// docs/router.md "Lease"). "held": the weights stand until expiresAtMs
// unless renewed; "expired": the lease ran out at expiredAtMs, the data
// plane moved all traffic to the stable fleet and `before` is what it held.
struct TrafficLease {
  std::string state;              // "held" | "expired"
  int64_t leaseMs = 0;
  int64_t expiresAtMs = 0;        // held
  int64_t remainingMs = 0;        // held
  int64_t expiredAtMs = 0;        // expired
  std::vector<FleetWeight> before;  // expired: the split that was held
  std::optional<Pinning> beforePin;
};

struct TrafficSplit {
  EntrypointKey key;
  std::vector<FleetWeight> fleets;
  std::optional<Pinning> pin;
  int64_t epoch = 0;
  // Where traffic goes when the chosen fleet takes no connection (fallback)
  // and when the lease runs out; "" = nowhere (502 as before, no lease).
  std::string stable;
  // Hold these weights only this long unless renewed (renewLease, or the
  // same split set again); 0 = no lease. Needs `stable`.
  int64_t leaseMs = 0;
  // Read back only (appliedTraffic): the lease's state, if the split has one.
  std::optional<TrafficLease> lease;
};

class TrafficProvider {
 public:
  virtual ~TrafficProvider() = default;
  // Makes sure the entry point exists and returns its URL (stable across restarts).
  virtual Result<std::string> ensureEntrypoint(const EntrypointKey& key) = 0;
  virtual Status setTraffic(const TrafficSplit& split) = 0;
  // What the data plane applies right now (read back, not remembered).
  virtual Result<TrafficSplit> appliedTraffic(const EntrypointKey& key) = 0;
  // In-flight requests to a fleet (draining waits for 0).
  virtual Result<int64_t> inflight(const EntrypointKey& key, const std::string& fleetId) = 0;
  // Renews the lease of the applied split (leaseMs from now). kConflict
  // when it has none or it already ran out (then set the split again to
  // resume it), or when `epoch` is stale. Providers without leases: ok.
  virtual Status renewLease(const EntrypointKey& key, int64_t epoch) {
    (void)key;
    (void)epoch;
    return ok();
  }
  // Regions in waves: while a deployment changes key's region, users are
  // sent to the other regions where the environment asks for it (aws:
  // dns.drain, the region's DNS record set at weight 0); drain = false puts
  // the region back. true = in effect; false = not yet (ask again).
  // Idempotent; called for every entry point on every tick, so an
  // implementation answers from memory when nothing changes. Default:
  // nothing to drain.
  virtual Result<bool> drainRegion(const EntrypointKey& key, bool drain) {
    (void)key;
    (void)drain;
    return true;
  }
};

// Cumulative counters since the fleet first received traffic. Judges work on
// the difference of two snapshots.
struct FleetMetrics {
  std::string fleetId;
  int64_t at = 0;                 // Unix ms of the snapshot
  uint64_t requests = 0;
  uint64_t status2xx = 0;
  uint64_t status3xx = 0;
  uint64_t status4xx = 0;
  uint64_t status5xx = 0;
  uint64_t upstreamErrors = 0;    // failed by the data plane itself (502/503/504, or fallback); never also in status5xx
  uint64_t bytesOut = 0;
  std::vector<double> latencyBoundsMs;  // histogram upper bounds (last is +inf)
  std::vector<uint64_t> latencyCounts;  // same length as latencyBoundsMs
  // Where the latency histogram came from, so a verdict can say it honestly:
  // "" = measured as a histogram (the local router); aws: "percentiles"
  // (CloudWatch p50/p90/p99), "average-fallback" (some period had no
  // percentiles, its requests sit at CloudWatch's Average) or "none".
  std::string latencySource;
  // Names the run of these counters: while it stays the same they only
  // grow; a different value means they started again from zero (a router
  // restart), so the delta since the last snapshot is the new values
  // themselves. "" = the source has no such id (CloudWatch).
  std::string countersEpoch;
  uint64_t fallbacks = 0;         // of upstreamErrors: served by the stable fleet instead
};

class MetricsProvider {
 public:
  virtual ~MetricsProvider() = default;
  virtual Result<FleetMetrics> fleetMetrics(const EntrypointKey& key, const std::string& fleetId) = 0;
};

}  // namespace ramp::providers
