#include "server/FleetSeries.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "analysis/LatencySample.h"
#include "engine/Deployment.h"
#include "engine/TrafficPlan.h"
#include "server/DeploymentScope.h"

namespace ramp::server {

using nlohmann::json;

namespace {

json finiteOrNull(double v) { return std::isfinite(v) ? json(std::round(v * 1000) / 1000) : json(nullptr); }

// The fleets a deployment concerns, with their role and release.
struct FleetOfDeployment {
  std::string id, role, version;
};

std::vector<FleetOfDeployment> fleetsOf(const engine::Deployment& d) {
  std::vector<FleetOfDeployment> out;
  const bool canary = d.strategy == "canary";
  if (!d.oldFleet.empty()) out.push_back({d.oldFleet, canary ? "stable" : "previous", d.oldVersion});
  if (!d.baselineFleet.empty()) out.push_back({d.baselineFleet, "baseline", d.oldVersion});
  if (!d.newFleet.empty()) out.push_back({d.newFleet, canary ? "canary" : "new", d.version});
  return out;
}

}  // namespace

Status FleetSeries::sampleActive() {
  store::DeploymentFilter f;
  f.limit = 50;
  auto recs = store_.listDeployments(f);
  if (!recs) return std::unexpected(recs.error());
  for (const auto& rec : *recs) {
    auto phase = rec.doc.value("phase", "");
    if (phase == "done" || phase == "approval" || phase == "queue" || phase == "window" || phase == "start") continue;
    (void)sampleOne(rec);  // one fleet that cannot be read must not stop the others
  }
  return ok();
}

void FleetSeries::stopSampling() {
  std::lock_guard lock(sampling_);
  stopped_ = true;
}

Status FleetSeries::sampleOne(const store::DeploymentRecord& rec) {
  std::lock_guard samplingLock(sampling_);
  if (stopped_) return ok();
  auto d = engine::Deployment::fromRecord(rec.id, rec.service, rec.env, rec.state, rec.revision, rec.doc);
  if (!d) return std::unexpected(d.error());
  const int64_t now = toUnixMillis(clock_.now());
  bool aws = d->rendered.is_object() && d->rendered.contains("environment") && d->rendered["environment"].is_object() &&
             d->rendered["environment"].value("provider", "") == "aws";
  const int64_t interval = aws ? 15000 : 1000;
  {
    std::lock_guard lock(mu_);
    auto it = series_.find(d->id);
    // A little early is fine: the controller's loop is not exact.
    if (it != series_.end() && now - it->second.lastAt < interval * 9 / 10) return ok();
  }
  const providers::EntrypointKey key{d->service, d->env, d->region};
  std::map<std::string, int> desired, applied;
  bool appliedKnown = false;
  if (auto row = store_.getEntrypoint({key.service, key.env, key.region}); row && *row) {
    desired = engine::TrafficPlan::fromJson((*row)->trafficPlan).weights;
  }
  if (auto split = traffic_.appliedTraffic(key)) {
    appliedKnown = true;
    for (const auto& fw : split->fleets) applied[fw.fleetId] = fw.weight;
  }
  std::map<std::string, std::pair<FleetOfDeployment, Cumulative>> read;
  for (const auto& fl : fleetsOf(*d)) {
    auto m = metrics_.fleetMetrics(key, fl.id);
    if (!m) continue;  // a fleet retired or not yet serving: no point for it
    Cumulative c{now, m->requests, m->status5xx + m->upstreamErrors, m->latencyBoundsMs, m->latencyCounts};
    read.emplace(fl.id, std::pair{fl, std::move(c)});
  }

  std::lock_guard lock(mu_);
  Series& s = series_[d->id];
  s.intervalMs = interval;
  s.touched = ++clock_tick_;
  json fleets = json::object();
  for (auto& [id, pair] : read) {
    auto& [fl, cur] = pair;
    json p{{"role", fl.role}, {"version", fl.version}, {"requests_total", cur.requests}, {"errors_total", cur.errors},
           {"weight", desired.contains(id) ? json(desired.at(id)) : json(0)},
           {"applied_weight", appliedKnown ? json(applied.contains(id) ? applied.at(id) : 0) : json(nullptr)},
           {"rps", nullptr}, {"error_rate", nullptr}, {"p50_ms", nullptr}, {"p90_ms", nullptr}, {"p99_ms", nullptr}};
    auto prev = s.last.find(id);
    if (prev != s.last.end() && cur.at > prev->second.at) {
      const Cumulative& a = prev->second;
      bool reset = cur.requests < a.requests || cur.errors < a.errors;
      uint64_t req = reset ? cur.requests : cur.requests - a.requests;
      uint64_t err = reset ? cur.errors : cur.errors - a.errors;
      double secs = (cur.at - a.at) / 1000.0;
      p["requests"] = req;
      p["errors"] = err;
      p["rps"] = finiteOrNull(req / secs);
      if (req > 0) {
        p["error_rate"] = finiteOrNull(static_cast<double>(err) / static_cast<double>(req));
        std::vector<uint64_t> counts = cur.counts;
        if (!reset && a.counts.size() == counts.size()) {
          for (size_t i = 0; i < counts.size(); ++i) counts[i] -= std::min(counts[i], a.counts[i]);
        }
        if (auto lat = analysis::LatencySample::fromHistogram(cur.bounds, counts, "latency")) {
          p["p50_ms"] = finiteOrNull(lat->quantileMs(0.5));
          p["p90_ms"] = finiteOrNull(lat->quantileMs(0.9));
          p["p99_ms"] = finiteOrNull(lat->quantileMs(0.99));
        }
      }
    }
    s.last[id] = std::move(cur);
    fleets[id] = std::move(p);
  }
  if (!fleets.empty()) {
    s.points.push_back({{"t", now}, {"fleets", std::move(fleets)}});
    while (s.points.size() > kMaxPoints) s.points.pop_front();
  }
  s.lastAt = now;
  evict();
  return ok();
}

void FleetSeries::evict() {
  while (series_.size() > kMaxSeries) {
    auto oldest = std::min_element(series_.begin(), series_.end(),
                                   [](const auto& a, const auto& b) { return a.second.touched < b.second.touched; });
    series_.erase(oldest);
  }
}

Result<json> FleetSeries::points(const std::string& id, int64_t afterMs) {
  auto rec = store_.getDeployment(id);
  if (!rec) return deploymentLookupFailed(rec.error(), id);
  if (rec->doc.value("phase", "") != "done") (void)sampleOne(*rec);
  std::lock_guard lock(mu_);
  json out{{"deployment", id}, {"interval_ms", 1000}, {"points", json::array()}};
  auto it = series_.find(id);
  if (it == series_.end()) return out;
  it->second.touched = ++clock_tick_;
  out["interval_ms"] = it->second.intervalMs;
  for (const auto& p : it->second.points) {
    if (p.value("t", int64_t{0}) > afterMs) out["points"].push_back(p);
  }
  return out;
}

}  // namespace ramp::server
