// FleetCounters.h — what the router counts for one fleet behind one entry
// point, cumulative since the fleet first appeared in a split. They start
// from zero only when the router starts or the entry point is deleted and
// made again; `resetSerial` (with the router's counters epoch, RouteState.h)
// names each such start, so readers can tell a reset from a bug.
//
// Every request the fleet was chosen for counts once in `requests` and
// once in exactly one of: a status class (the fleet's backend answered,
// relayed to the client), `upstreamErrors` (the fleet failed it: the
// router answered 502/503/504 itself, or the stable fleet served it
// instead — then `fallbacks` too), or neither (the client went away or
// its request was refused by the router as malformed). So
// errors = status5xx + upstreamErrors counts every failed request once.
// An upgrade (101) counts as a 1xx request when it is answered; the open
// tunnel is counted in `tunnels` until it closes (not in `inflight`, so a
// fleet can drain while WebSockets stay open).
//
// Sharded by io thread: thread k writes only shard(k) (relaxed load +
// store, no locked instruction, no shared cache line); readers (the admin
// API) sum the shards with total(). Made by the admin thread when a split
// names the fleet; io threads get it through the split they route by.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/Clock.h"
#include "router/LatencyHistogram.h"

namespace ramp::router {

struct alignas(64) CounterShard {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> status[5] = {};  // 1xx..5xx
  std::atomic<uint64_t> upstreamErrors{0};
  std::atomic<uint64_t> fallbacks{0};
  std::atomic<uint64_t> bytesOut{0};  // response bytes sent to clients (head + body; tunnels: server → client)
  std::atomic<uint64_t> upgrades{0};  // tunnels opened
  std::atomic<int64_t> inflight{0};
  std::atomic<int64_t> tunnels{0};
  LatencyHistogram latency;

  static void add(std::atomic<uint64_t>& c, uint64_t n = 1) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  static void add(std::atomic<int64_t>& c, int64_t n) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void recordStatus(int s) {
    int k = s < 200 ? 0 : s < 300 ? 1 : s < 400 ? 2 : s < 500 ? 3 : 4;
    add(status[k]);
  }
};

// The sum over shards at one moment (each field read once, relaxed).
struct FleetTotals {
  uint64_t requests = 0;
  uint64_t status[5] = {};
  uint64_t upstreamErrors = 0;
  uint64_t fallbacks = 0;
  uint64_t bytesOut = 0;
  uint64_t upgrades = 0;
  int64_t inflight = 0;
  int64_t tunnels = 0;
  std::vector<uint64_t> latencyCounts;
  uint64_t latencyCount = 0;
  double latencySumMs = 0;
};

class FleetCounters {
 public:
  FleetCounters(std::string entrypoint, std::string fleetId, size_t shards, uint64_t resetSerial, WallTime since)
      : entrypoint(std::move(entrypoint)),
        fleetId(std::move(fleetId)),
        resetSerial(resetSerial),
        since(since),
        shards_(new CounterShard[shards]),
        count_(shards) {}

  CounterShard& shard(size_t k) { return shards_[k]; }
  FleetTotals total() const {
    FleetTotals t;
    for (size_t k = 0; k < count_; ++k) {
      const CounterShard& s = shards_[k];
      auto r = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
      t.requests += r(s.requests);
      for (int i = 0; i < 5; ++i) t.status[i] += r(s.status[i]);
      t.upstreamErrors += r(s.upstreamErrors);
      t.fallbacks += r(s.fallbacks);
      t.bytesOut += r(s.bytesOut);
      t.upgrades += r(s.upgrades);
      t.inflight += s.inflight.load(std::memory_order_relaxed);
      t.tunnels += s.tunnels.load(std::memory_order_relaxed);
      s.latency.addTo(t.latencyCounts, t.latencyCount, t.latencySumMs);
    }
    return t;
  }

  const std::string entrypoint;
  const std::string fleetId;
  const uint64_t resetSerial;  // which start from zero these counters are (see above)
  const WallTime since;        // when they started

 private:
  std::unique_ptr<CounterShard[]> shards_;
  size_t count_;
};

}  // namespace ramp::router
