// ActiveSplit.h — the split the data plane routes by right now, resolved to
// Backend objects and counters. A new configuration builds a new ActiveSplit
// and swaps the entry point's pointer on the io thread: a request picks its
// fleet from whatever split is current when its head has been read, and a
// request already dispatched finishes where it went.
//
// Fleet choice: smooth weighted round robin (nginx's algorithm): exact
// proportions over every window of 100 requests, deterministic, no random
// numbers. Instance choice inside a fleet: round robin, skipping instances
// marked down while another is up.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "router/Backend.h"
#include "router/FleetCounters.h"
#include "router/RouteTable.h"

namespace ramp::router {

struct ActiveFleet {
  std::string id;
  int weight = 0;
  std::vector<std::shared_ptr<Backend>> backends;
  std::shared_ptr<FleetCounters> counters;
  size_t nextBackend = 0;  // round-robin cursor
  int current = 0;         // smooth WRR state
};

struct ActiveSplit {
  std::vector<ActiveFleet> fleets;
  std::optional<PinRoute> pin;
  int pinFleet = -1;  // index into fleets, -1 = no pinning
  uint64_t generation = 0;

  // Index of the fleet for the next unpinned request, -1 when none takes traffic.
  int pickWeighted() {
    int total = 0, best = -1;
    for (size_t i = 0; i < fleets.size(); ++i) {
      auto& f = fleets[i];
      if (f.weight <= 0 || f.backends.empty()) continue;
      f.current += f.weight;
      total += f.weight;
      if (best < 0 || f.current > fleets[best].current) best = static_cast<int>(i);
    }
    if (best >= 0) fleets[best].current -= total;
    return best;
  }
};

}  // namespace ramp::router
