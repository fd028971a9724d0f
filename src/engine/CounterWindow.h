// CounterWindow.h — one fleet's counters over a judge's window (a canary
// analysis step, a blue/green bake) that survives the data plane's restarts.
//
// The data plane's counters are cumulative since it started and carry an
// epoch (providers::FleetMetrics::countersEpoch; CounterSnapshot::of keeps
// it as "epoch"): while the epoch is unchanged they only grow; a new epoch
// means they started again from zero (the router restarted). The window
// keeps three snapshots' worth of state:
//   base     where the current run of counters is measured from (the
//            window's start, or zero in a run that began after a restart),
//   last     the latest snapshot looked at,
//   carried  what earlier runs measured (last - base when a restart is
//            seen), added to every later measurement.
// So measurements never go backwards and nothing measured is lost; what was
// served between the last look and a restart is lost (never counted twice).
// A source without epochs (CloudWatch, an older router) is taken to have
// restarted when any counter goes down; a counter going down under an
// unchanged epoch is the data plane's bug: an error naming both snapshots.
// Histogram counts are carried while the bounds stay the same; if a restart
// changed them, the latency before it is dropped (errors are kept).
//
// Plain values (JSON in the deployment record, with an old record's plain
// start snapshot accepted as a window that starts there); no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/Measurements.h"
#include "core/Result.h"

namespace ramp::engine {

class CounterWindow {
 public:
  // A window that starts at `start` (a CounterSnapshot::of() snapshot).
  static Result<CounterWindow> startAt(const nlohmann::json& start);
  // From toJson(), or a plain snapshot (a window that starts there).
  static Result<CounterWindow> fromJson(const nlohmann::json& j);
  nlohmann::json toJson() const;

  struct Look {
    analysis::Measurements measurements;  // since the window's start, across restarts
    bool restarted = false;                // the counters restarted since the previous look
    nlohmann::json restart;                // when restarted: epochs and what was carried
  };
  // Moves the window to `now` (a CounterSnapshot::of() snapshot).
  Result<Look> look(const nlohmann::json& now);

  int restarts() const { return restarts_; }
  uint64_t carriedRequests() const { return carried_.requests; }

 private:
  struct Counts {
    std::string epoch;
    uint64_t requests = 0;
    uint64_t errors = 0;
    std::vector<double> bounds;
    std::vector<uint64_t> counts;
    static Result<Counts> of(const nlohmann::json& snapshot);
    nlohmann::json toJson() const;
    bool anyBelow(const Counts& before) const;  // some counter is lower than in `before`
  };
  Counts base_, last_, carried_;
  int restarts_ = 0;
};

}  // namespace ramp::engine
