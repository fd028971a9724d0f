// ActiveSplit.h — the split the data plane routes by right now, resolved to
// Backend objects and counters. A new configuration builds a new ActiveSplit
// and swaps the entry point's pointer on the io thread: a request picks its
// fleet from whatever split is current when its head has been read, and a
// request already dispatched finishes where it went.
//
// Fleet choice: a shuffled deck of 100 cards per split (WeightedDeck.h):
// each request goes to a fleet with probability exactly its weight,
// independent of request order, method or connection, and proportions are
// exact over every 100 requests. Instance choice inside a fleet: round
// robin, skipping instances marked down while another is up.
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

struct ActiveFleet {
  std::string id;
  int weight = 0;
  std::vector<std::shared_ptr<Backend>> backends;
  std::shared_ptr<FleetCounters> counters;
  size_t nextBackend = 0;  // round-robin cursor
};

struct ActiveSplit {
  std::vector<ActiveFleet> fleets;
  std::optional<PinRoute> pin;
  int pinFleet = -1;     // index into fleets, -1 = no pinning
  int stableFleet = -1;  // index of the split's stable fleet (fallback), -1 = none
  uint64_t generation = 0;
  WeightedDeck deck;     // fleets with weight > 0 and backends

  // Call once the fleets are set.
  void dealWeights() {
    std::vector<int> w;
    for (const auto& f : fleets) w.push_back(f.backends.empty() ? 0 : f.weight);
    deck.reset(w);
  }
  // Index of the fleet for the next unpinned request, -1 when none takes traffic.
  int pickWeighted() { return deck.next(); }
};

}  // namespace ramp::router
