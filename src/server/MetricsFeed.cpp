#include "server/MetricsFeed.h"

#include <chrono>

namespace ramp::server {

namespace {

constexpr const char* kStarted = "ramp_deployments_started_total";
constexpr const char* kFinished = "ramp_deployments_finished_total";
constexpr const char* kDuration = "ramp_deployment_duration_seconds";
constexpr const char* kRollbacks = "ramp_rollbacks_total";
constexpr const char* kWeight = "ramp_fleet_traffic_weight_ratio";
constexpr const char* kEvents = "ramp_audit_events_total";
constexpr const char* kPending = "ramp_approvals_pending";
constexpr const char* kActive = "ramp_deployments_active";
constexpr const char* kTick = "ramp_controller_tick_seconds";
constexpr const char* kStoreCall = "ramp_controller_store_call_seconds";

double secondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

MetricsFeed::MetricsFeed(store::Store& store, MetricsRegistry& registry) : store_(store), registry_(registry) {
  registry_.counter(kStarted, "Deployments submitted, by service and environment.");
  registry_.counter(kFinished, "Deployments that ended, by service, environment and result "
                               "(succeeded, failed, rolled_back, aborted, ...).");
  registry_.histogram(kDuration, "Time from submission to the end of a deployment.",
                      MetricsRegistry::durationBounds());
  registry_.counter(kRollbacks, "Deployments that ended rolled back (by the judge or by a person).");
  registry_.gauge(kWeight, "Share of an entry point's traffic sent to a fleet (0..1), as last set by the engine.");
  registry_.counter(kEvents, "Audit events recorded, by kind.");
  registry_.gauge(kPending, "Deployments waiting for an approval, by service and environment.");
  registry_.gauge(kActive, "Deployments not yet ended, by state (queued is the queue depth).");
  registry_.histogram(kTick, "Duration of one controller tick (advancing every active deployment).",
                      MetricsRegistry::latencyBounds());
  registry_.histogram(kStoreCall, "Latency of the store calls made to compute these metrics, by call.",
                      MetricsRegistry::latencyBounds());
}

void MetricsFeed::observeTick(double seconds) { registry_.observe(kTick, {}, seconds); }

template <class Run>
auto MetricsFeed::timedStoreCall(const std::string& call, Run run) -> decltype(run()) {
  auto t0 = std::chrono::steady_clock::now();
  auto result = run();
  registry_.observe(kStoreCall, {{"call", call}}, secondsSince(t0));
  return result;
}

void MetricsFeed::apply(const store::AuditEvent& e) {
  registry_.add(kEvents, {{"kind", e.kind}});
  if (e.kind == "deployment.created") {
    registry_.add(kStarted, {{"service", e.service}, {"env", e.env}});
    if (!e.deploymentId.empty()) createdAt_[e.deploymentId] = e.time;
  } else if (e.kind == "deployment.rollback" && e.data.is_object() && e.data.contains("rolls_back")) {
    rollbackDeployments_.insert(e.deploymentId);
  } else if (e.kind == "deployment.finished") {
    std::string result = e.data.is_object() ? e.data.value("state", std::string("unknown")) : "unknown";
    auto [it, first] = outcomes_.try_emplace(e.deploymentId);
    Outcome& o = it->second;
    if (first) {
      // Counted once, at the deployment's first end, with the state it ended in.
      o.isRollback = rollbackDeployments_.erase(e.deploymentId) > 0;
      MetricsRegistry::Labels l{{"service", e.service}, {"env", e.env}, {"result", result}};
      registry_.add(kFinished, l);
      if (auto c = createdAt_.find(e.deploymentId); c != createdAt_.end()) {
        registry_.observe(kDuration, l, static_cast<double>(e.time - c->second) / 1000.0);
        createdAt_.erase(c);
      }
      outcomeOrder_.push_back(e.deploymentId);
      if (outcomeOrder_.size() > kRememberedOutcomes) {
        outcomes_.erase(outcomeOrder_.front());
        outcomeOrder_.pop_front();
      }
    }
    // A deployment rolled back (by the judge, or undone later by a person);
    // not the rollback deployment itself, which also ends rolled_back.
    if (result == "rolled_back" && !o.isRollback && !o.rollbackCounted) {
      o.rollbackCounted = true;
      registry_.add(kRollbacks, {{"service", e.service}, {"env", e.env}});
    }
  } else if (e.kind == "traffic.set" && e.data.is_object() && e.data.contains("weights") &&
             e.data["weights"].is_object()) {
    Split s{e.service, e.env, {}};
    for (auto& [fleet, w] : e.data["weights"].items()) {
      if (w.is_number()) s.weights[fleet] = w.get<int>();
    }
    splits_[e.data.value("entrypoint", e.service + "/" + e.env)] = std::move(s);
    registry_.clear(kWeight);
    for (const auto& [ep, split] : splits_) {
      for (const auto& [fleet, w] : split.weights) {
        registry_.set(kWeight, {{"service", split.service}, {"env", split.env}, {"fleet", fleet}}, w / 100.0);
      }
    }
  }
}

Status MetricsFeed::catchUp() {
  std::lock_guard lock(mu_);
  for (int batch = 0; batch < 50; ++batch) {
    store::AuditFilter f;
    f.afterSeq = watermark_;
    f.limit = 1000;
    auto events = timedStoreCall("list_events", [&] { return store_.listEvents(f); });
    if (!events) return std::unexpected(events.error());
    for (const auto& e : *events) {
      apply(e);
      watermark_ = std::max(watermark_, e.seq);
    }
    if (events->size() < 1000) break;
  }
  return ok();
}

Status MetricsFeed::refreshGauges() {
  store::DeploymentFilter f;
  f.activeOnly = true;
  f.limit = 100000;
  auto active = timedStoreCall("list_deployments", [&] { return store_.listDeployments(f); });
  if (!active) return std::unexpected(active.error());
  std::map<std::string, int> byState{{"queued", 0}, {"running", 0}, {"paused", 0}, {"awaiting_approval", 0}};
  std::map<std::pair<std::string, std::string>, int> pending;
  for (const auto& d : *active) {
    ++byState[d.state];
    if (d.state == "awaiting_approval") ++pending[{d.service, d.env}];
  }
  std::lock_guard lock(mu_);
  registry_.clear(kActive);
  for (const auto& [state, n] : byState) registry_.set(kActive, {{"state", state}}, n);
  registry_.clear(kPending);
  for (const auto& [key, n] : pending) registry_.set(kPending, {{"service", key.first}, {"env", key.second}}, n);
  return ok();
}

Result<std::string> MetricsFeed::scrape() {
  if (auto s = catchUp(); !s) return std::unexpected(s.error());
  if (auto s = refreshGauges(); !s) return std::unexpected(s.error());
  return registry_.render();
}

}  // namespace ramp::server
