// FleetSeries.h — live time series of a deployment's fleets, sampled from
// the data plane: what the dashboard charts while a canary runs (and what
// `GET /api/v1/deployments/{id}/series` and its server-sent-event stream
// serve, MetricsRoutes-style, from the controller).
//
// A point is taken per deployment at most every `interval` (1 s; 15 s on
// aws, whose CloudWatch counters are slow and billed): for each fleet the
// deployment concerns (new/canary, old/stable, fresh baseline) the
// cumulative counters (MetricsProvider::fleetMetrics) and, over the time
// since the previous point, requests per second, the error rate (5xx and
// upstream errors over requests; null without requests), latency p50 /
// p90 / p99 in ms from the histogram difference (null without requests),
// plus the weight the engine wants (its traffic plan) and the weight the
// data plane applies (TrafficProvider::appliedTraffic, read back). The
// first point of a series has counters but no rates (nothing to compare
// with). A counter that went backwards (router restart) starts over.
//
// sampleActive() samples every active deployment (the controller calls it
// from its own thread every second, so a page opened mid-canary has the
// history since the controller started); points(id, afterMs) returns the
// points after a time, and samples that deployment first if it is active.
// At most kMaxPoints per deployment (older ones dropped) and the series of
// the kMaxSeries deployments sampled last are kept, in memory only (a
// restarted controller starts new series; the judge's verdicts, in the
// audit log, keep the decisions). Thread-safe; provider calls happen
// outside the lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "core/Clock.h"
#include "core/Result.h"
#include "providers/Provider.h"
#include "store/Store.h"

namespace ramp::server {

class FleetSeries {
 public:
  static constexpr size_t kMaxPoints = 1800;
  static constexpr size_t kMaxSeries = 50;

  FleetSeries(store::Store& store, providers::MetricsProvider& metrics, providers::TrafficProvider& traffic,
              Clock& clock)
      : store_(store), metrics_(metrics), traffic_(traffic), clock_(clock) {}

  // One round over the active deployments (started ones: gates excluded).
  Status sampleActive();
  // {"deployment", "interval_ms", "points": [{t, fleets: {id: {...}}}]}:
  // the points with t > afterMs. kNotFound for an unknown deployment.
  Result<nlohmann::json> points(const std::string& deploymentId, int64_t afterMs);
  // No data-plane call after this returns (it waits for one in progress):
  // `ramp down` stops the router, which a sample would start again.
  void stopSampling();

 private:
  struct Cumulative {
    int64_t at = 0;
    uint64_t requests = 0, errors = 0;
    std::vector<double> bounds;
    std::vector<uint64_t> counts;
  };
  struct Series {
    std::deque<nlohmann::json> points;
    std::map<std::string, Cumulative> last;  // fleet id -> counters at the previous point
    int64_t lastAt = 0;                      // Unix ms of the previous point
    int64_t intervalMs = 1000;
    uint64_t touched = 0;                    // recency, for eviction
  };

  // Takes a point for one deployment if its interval has passed.
  Status sampleOne(const store::DeploymentRecord& rec);
  void evict();

  store::Store& store_;
  providers::MetricsProvider& metrics_;
  providers::TrafficProvider& traffic_;
  Clock& clock_;
  std::mutex mu_;
  std::mutex sampling_;   // held across a sample's provider calls
  bool stopped_ = false;  // under sampling_
  std::map<std::string, Series> series_;
  uint64_t clock_tick_ = 0;
};

}  // namespace ramp::server
