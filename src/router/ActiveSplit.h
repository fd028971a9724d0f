// ActiveSplit.h — the split an io thread routes an entry point by right
// now. DataPlane::apply builds one SplitPlan (shared by all io threads:
// fleets, weights, addresses, counters, pin, stable fleet, the deck) and
// every Worker resolves it into its own ActiveSplit (its Backend pools, its
// counter shards, its deck cache) and swaps its pointer before the admin
// API answers: a request picks its fleet from whatever split is current on
// its thread when its head has been read, and a request already dispatched
// finishes where it went.
//
// Fleet choice: WeightedDeck (exact per 100 requests across all threads,
// independent of request order or method). Instance choice inside a
// fleet: round robin per thread, skipping instances marked down while
// another is up.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "router/Backend.h"
#include "router/FleetCounters.h"
#include "router/RouteTable.h"
#include "router/WeightedDeck.h"

namespace ramp::router {

struct SplitPlan {
  struct Fleet {
    std::string id;
    int weight = 0;
    std::vector<std::string> backends;
    std::shared_ptr<FleetCounters> counters;
  };
  std::vector<Fleet> fleets;
  std::optional<PinRoute> pin;
  int pinFleet = -1;     // index into fleets, -1 = no pinning
  int stableFleet = -1;  // the split's stable fleet (fallback), -1 = none
  uint64_t generation = 0;
  std::shared_ptr<WeightedDeck> deck;  // fleets with weight > 0 and backends
};

struct ActiveFleet {
  const SplitPlan::Fleet* plan = nullptr;
  std::vector<std::shared_ptr<Backend>> backends;
  CounterShard* shard = nullptr;  // this thread's counters of the fleet
  size_t nextBackend = 0;         // round-robin cursor
  const std::string& id() const { return plan->id; }
  int weight() const { return plan->weight; }
};

struct ActiveSplit {
  std::shared_ptr<const SplitPlan> plan;
  std::vector<ActiveFleet> fleets;
  WeightedDeck::Cache deckCache;

  int pinFleet() const { return plan ? plan->pinFleet : -1; }
  int stableFleet() const { return plan ? plan->stableFleet : -1; }
  const std::optional<PinRoute>& pin() const {
    static const std::optional<PinRoute> none;
    return plan ? plan->pin : none;
  }
  // Index of the fleet for the next unpinned request, -1 when none takes traffic.
  int pickWeighted() { return plan && plan->deck ? plan->deck->next(deckCache) : -1; }
  // Whether the fleet gets new requests (weight > 0, or pinned).
  bool takesTraffic(size_t i) const { return fleets[i].weight() > 0 || static_cast<int>(i) == pinFleet(); }
  int indexOf(const std::string& id) const {
    for (size_t i = 0; i < fleets.size(); ++i)
      if (fleets[i].id() == id) return static_cast<int>(i);
    return -1;
  }
};

}  // namespace ramp::router
