// DeliveryStats.h — the four DORA figures per service and environment,
// computed by a pure function from audit events and releases.
//
// Definitions (docs/observability.md has the long form):
//  - A *change* is a deployment that is not a rollback deployment (one whose
//    audit trail has a deployment.rollback event with data.rolls_back).
//    Its outcome is the data.state of its LAST deployment.finished event
//    (the engine repeats the event when a deployment leaves its bake, and a
//    later `ramp rollback` turns a succeeded deployment into rolled_back),
//    dated by the first finished event with that state; the figures only
//    consider changes whose outcome falls inside the window [since, until]
//    (Unix ms).
//  - Deployment frequency: changes that ended `succeeded` in the window,
//    divided by the window's length in days (and weeks).
//  - Lead time for changes in env E: for each release version that
//    succeeded in E in the window for the first time (first success in E of
//    that version among the events given), its finish time minus the
//    release's createdAt. Median (mean of the two middle values for an even
//    count) and p90 (nearest rank: the ceil(0.9·n)-th smallest). Versions
//    without a release record are skipped.
//  - Change failure rate: changes that ended `failed` or `rolled_back`,
//    divided by changes that ended succeeded, failed or rolled_back
//    (aborted ones are a person's decision, not a failure; they count in
//    neither).
//  - Time to restore: for each failed or rolled-back change in the window,
//    the time until the next deployment in the same service and env that
//    ended `succeeded`, or a rollback deployment that ended (its
//    rolled_back state means traffic is verified back on the earlier
//    release), if any (until `until`); median. Failures not yet followed by a success are
//    counted as `unrestored`.
// Events need not be sorted; they are ordered by time, then seq.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/Store.h"

namespace ramp::server {

struct DeliveryStatsQuery {
  int64_t since = 0;   // Unix ms, inclusive
  int64_t until = 0;   // Unix ms, inclusive; > since
  std::optional<std::string> service;
  std::optional<std::string> env;
};

struct DeliveryFigures {
  std::string service;
  std::string env;
  int succeeded = 0;              // successful changes in the window
  int failed = 0;                 // failed + rolled back changes
  int finished = 0;               // succeeded + failed
  double deploysPerDay = 0;
  double deploysPerWeek = 0;
  int leadTimeSamples = 0;
  std::optional<double> leadTimeMedianSeconds;
  std::optional<double> leadTimeP90Seconds;
  std::optional<double> changeFailureRate;  // none when nothing finished
  int restored = 0;
  int unrestored = 0;
  std::optional<double> timeToRestoreMedianSeconds;

  nlohmann::json toJson() const;
};

// One entry per service and env that has any finished change or restore in
// the window, sorted by service then env.
std::vector<DeliveryFigures> computeDeliveryStats(const std::vector<store::AuditEvent>& events,
                                                  const std::vector<store::ReleaseRecord>& releases,
                                                  const DeliveryStatsQuery& query);

// Median and nearest-rank percentile of a non-empty sample (exposed for tests).
double medianOf(std::vector<double> values);
double nearestRankPercentile(std::vector<double> values, double p);

}  // namespace ramp::server
