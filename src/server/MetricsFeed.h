// MetricsFeed.h — the controller's /metrics, derived from what the store
// already records: no engine code counts anything.
//
// Counters and the duration histogram come from the audit log, read after a
// watermark (seq) whenever metrics are scraped, so they survive a restart of
// the controller (a new controller re-reads the log from the start and
// reaches the same totals) and cannot disagree with the audit trail:
//   deployment.created  -> ramp_deployments_started_total{service,env}
//   deployment.finished -> ramp_deployments_finished_total{service,env,result}
//                          ramp_deployment_duration_seconds{service,env,result}
//                          (both once per deployment, at its first end: the
//                          engine repeats the event when a deployment leaves
//                          its bake)
//                          ramp_rollbacks_total{service,env}: a deployment
//                          that ended rolled_back, or was undone later by
//                          `ramp rollback` (not the rollback deployment)
//   traffic.set         -> ramp_fleet_traffic_weight_ratio{service,env,fleet}
//   every event         -> ramp_audit_events_total{kind}
// Gauges of the current state come from the store at scrape time:
//   ramp_approvals_pending{service,env}, ramp_deployments_active{state}.
// Controller internals are observed by the controller:
//   ramp_controller_tick_seconds (observeTick),
//   ramp_controller_store_call_seconds{call} (the feed's own store reads).
// At most 50,000 events are read per scrape (the rest on the next one).
// Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <mutex>
#include <string>

#include "core/Result.h"
#include "server/MetricsRegistry.h"
#include "store/Store.h"

namespace ramp::server {

class MetricsFeed {
 public:
  MetricsFeed(store::Store& store, MetricsRegistry& registry);

  // Reads new audit events into the counters (bounded per call).
  Status catchUp();
  // Re-reads the gauges of the current state from the store.
  Status refreshGauges();
  // catchUp + refreshGauges + render: the text for GET /metrics.
  Result<std::string> scrape();

  void observeTick(double seconds);

  // Applies one audit event (catchUp calls it; tests may too).
  void apply(const store::AuditEvent& e);

 private:
  // Runs one store call (run()) and observes its latency under CALL.
  template <class Run>
  auto timedStoreCall(const std::string& call, Run run) -> decltype(run());

  store::Store& store_;
  MetricsRegistry& registry_;
  std::mutex mu_;
  int64_t watermark_ = 0;
  std::map<std::string, int64_t> createdAt_;   // deployment id -> created (ms), until it finishes
  struct Outcome {
    bool isRollback = false;
    bool rollbackCounted = false;
  };
  static constexpr size_t kRememberedOutcomes = 20000;  // ended deployments remembered (FIFO)
  std::map<std::string, Outcome> outcomes_;
  std::deque<std::string> outcomeOrder_;
  std::set<std::string> rollbackDeployments_;  // rollback deployments not yet ended
  struct Split {
    std::string service, env;
    std::map<std::string, int> weights;
  };
  std::map<std::string, Split> splits_;        // entry point -> last weights
};

}  // namespace ramp::server
