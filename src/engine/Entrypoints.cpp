#include "engine/Entrypoints.h"

#include <algorithm>
#include <set>

#include "engine/Failpoint.h"
#include "engine/WeightLease.h"

namespace ramp::engine {

using nlohmann::json;

Entrypoints::Entrypoints(store::Store& store, providers::FleetProvider& fleets, providers::TrafficProvider& traffic,
                         DeploymentLedger& ledger, Clock& clock)
    : store_(store), fleets_(fleets), traffic_(traffic), ledger_(ledger), clock_(clock) {}

Result<std::string> Entrypoints::ensure(const providers::EntrypointKey& key) {
  auto url = traffic_.ensureEntrypoint(key);
  if (!url) return std::unexpected(url.error());
  if (auto st = store_.putEntrypointUrl(rowKey(key), *url, ledger_.fence()); !st) return std::unexpected(st.error());
  std::lock_guard lock(listMu_);
  auto at = std::lower_bound(known_.begin(), known_.end(), key);
  if (at == known_.end() || !(*at == key)) known_.insert(at, key);
  return url;
}

void Entrypoints::noteLease(const providers::EntrypointKey& key, const TrafficPlan& plan) {
  std::lock_guard lock(listMu_);
  if (plan.leaseMs > 0 && !plan.stable.empty()) {
    leased_.insert(key);
  } else {
    leased_.erase(key);
  }
}

void Entrypoints::refreshLocked() {
  const MonoTime now = clock_.monotonic();
  if (knownLoadedAt_ && now - *knownLoadedAt_ < kKnownRefresh) return;
  auto rows = store_.listEntrypoints();
  if (!rows) return;  // the last list stays; tried again on the next call
  std::vector<providers::EntrypointKey> keys;
  std::set<providers::EntrypointKey> leased;
  keys.reserve(rows->size());
  for (auto& r : *rows) {
    providers::EntrypointKey key{std::move(r.key.service), std::move(r.key.env), std::move(r.key.region)};
    const TrafficPlan plan = TrafficPlan::fromJson(r.trafficPlan);
    if (plan.leaseMs > 0 && !plan.stable.empty()) leased.insert(key);
    keys.push_back(std::move(key));
  }
  std::sort(keys.begin(), keys.end());
  // What ensure() and savePlan() changed meanwhile is in the store too
  // (written before the lists are).
  known_ = std::move(keys);
  leased_ = std::move(leased);
  knownLoadedAt_ = now;
}

std::vector<providers::EntrypointKey> Entrypoints::known() {
  std::lock_guard lock(listMu_);
  refreshLocked();
  return known_;
}

Result<std::optional<std::string>> Entrypoints::rowText(const providers::EntrypointKey& key,
                                                       std::string store::EntrypointRecord::*field) {
  auto row = store_.getEntrypoint(rowKey(key));
  if (!row) return std::unexpected(row.error());
  if (!*row || ((**row).*field).empty()) return std::optional<std::string>{};
  return std::optional<std::string>((**row).*field);
}

Result<std::optional<std::string>> Entrypoints::url(const providers::EntrypointKey& key) {
  return rowText(key, &store::EntrypointRecord::url);
}

Result<TrafficPlan> Entrypoints::plan(const providers::EntrypointKey& key) {
  auto row = store_.getEntrypoint(rowKey(key));
  if (!row) return std::unexpected(row.error());
  if (!*row) return TrafficPlan{};
  return TrafficPlan::fromJson((*row)->trafficPlan);
}

Status Entrypoints::savePlan(const providers::EntrypointKey& key, const TrafficPlan& plan, const std::string& actor,
                             const std::string& deploymentId) {
  auto before = this->plan(key);
  if (!before) return std::unexpected(before.error());
  if (before->weights == plan.weights && before->pin == plan.pin && before->stable == plan.stable &&
      before->leaseMs == plan.leaseMs) {
    return ok();
  }
  failpointSideEffect("traffic plan");
  if (auto st = store_.putTrafficPlan(rowKey(key), plan.toJson(), ledger_.fence()); !st) return st;
  noteLease(key, plan);
  json data{{"entrypoint", entrypointName(key)}, {"weights", plan.weights}};
  if (!plan.stable.empty()) data["stable"] = plan.stable;
  if (plan.leaseMs > 0) data["lease_ms"] = plan.leaseMs;
  if (auto st = ledger_.auditEntrypoint("traffic.set", key.service, key.env, deploymentId, std::move(data), actor);
      !st) {
    return st;
  }
  failpointSideEffect("traffic plan saved");
  return ok();
}

Status Entrypoints::reconcile(const providers::EntrypointKey& key, bool resumeRanOut) {
  auto plan = this->plan(key);
  if (!plan) return std::unexpected(plan.error());
  providers::TrafficSplit want;
  want.key = key;
  want.pin = plan->pin;
  want.epoch = ledger_.fence() ? ledger_.fence()->epoch : 0;
  bool stableServes = false;
  for (auto& [fleet, weight] : plan->weights) {
    providers::FleetWeight fw;
    fw.fleetId = fleet;
    fw.weight = weight;
    auto st = fleets_.fleetStatus(fleet);
    if (st && st->exists) {
      for (auto& inst : st->instances) {
        if (inst.state == "healthy") fw.backends.push_back(inst.address);
      }
      std::sort(fw.backends.begin(), fw.backends.end());
    }
    if (fleet == plan->stable && !fw.backends.empty()) stableServes = true;
    want.fleets.push_back(std::move(fw));
  }
  // The stable fleet is the fallback and the lease's target: only while it
  // has an instance to send to (the data plane refuses it otherwise).
  if (stableServes) {
    want.stable = plan->stable;
    want.leaseMs = plan->leaseMs;
  }
  auto applied = traffic_.appliedTraffic(key);
  if (applied) {
    auto norm = [](std::vector<providers::FleetWeight> v) {
      for (auto& f : v) std::sort(f.backends.begin(), f.backends.end());
      std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.fleetId < b.fleetId; });
      return v;
    };
    const bool same = norm(applied->fleets) == norm(want.fleets) && applied->pin == want.pin;
    switch (WeightLease::next(*plan, *applied, same)) {
      case WeightLease::Action::kNone: return ok();
      case WeightLease::Action::kRanOut:
        // The data plane took the canary's weight away: the deployment
        // decides (CanaryPhases: on_lease_expiry), never this reconcile.
        if (!resumeRanOut) return ok();
        break;
      case WeightLease::Action::kRenew: {
        auto renewed = traffic_.renewLease(key, want.epoch);
        if (renewed) return ok();
        if (renewed.error().code != ErrorCode::kConflict || renewed.error().where != "lease") return renewed;
        // No lease held (set it with the split), or it ran out in between
        // (leave it to the deployment).
        auto again = traffic_.appliedTraffic(key);
        if (!again) return std::unexpected(again.error());
        if (WeightLease::ranOut(*plan, *again) && !resumeRanOut) return ok();
        break;
      }
      case WeightLease::Action::kApply: break;
    }
  }
  // A fleet whose instances are all replaced keeps its last backends rather
  // than none: the router then retries on another instance.
  if (applied) {
    for (auto& fw : want.fleets) {
      if (!fw.backends.empty() || fw.weight == 0) continue;
      for (auto& old : applied->fleets) {
        if (old.fleetId == fw.fleetId) fw.backends = old.backends;
      }
    }
  }
  failpointSideEffect("router split");
  auto set = traffic_.setTraffic(want);
  failpointSideEffect("router split set");
  return set;
}

Status Entrypoints::renewLeases(MonoTime now) {
  const int64_t epoch = ledger_.fence() ? ledger_.fence()->epoch : 0;
  Status first = ok();
  std::vector<providers::EntrypointKey> leased;
  {
    std::lock_guard lock(listMu_);
    refreshLocked();
    leased.assign(leased_.begin(), leased_.end());
  }
  for (const auto& key : leased) {
    auto p = plan(key);
    if (!p) {
      if (first) first = std::unexpected(p.error());
      continue;
    }
    if (p->leaseMs <= 0 || p->stable.empty()) continue;
    {
      std::lock_guard lock(leaseMu_);
      auto& last = leaseRenewedAt_[entrypointName(key)];
      if (now - last < std::chrono::milliseconds(p->leaseMs / 3)) continue;
      last = now;
    }
    auto renewed = traffic_.renewLease(key, epoch);
    // No lease held (the split is not set yet) or it ran out: reconcile sets
    // the split, or the deployment decides.
    if (!renewed && !(renewed.error().code == ErrorCode::kConflict && renewed.error().where == "lease") && first) {
      first = renewed;
    }
  }
  return first;
}

Result<std::optional<providers::TrafficLease>> Entrypoints::ranOut(const providers::EntrypointKey& key,
                                                                   const std::string& fleet) {
  auto p = plan(key);
  if (!p) return std::unexpected(p.error());
  // Only the lease of a split over `fleet` (the deployment's own canary).
  if (p->leaseMs <= 0 || !p->weights.contains(fleet)) return std::optional<providers::TrafficLease>{};
  auto applied = traffic_.appliedTraffic(key);
  if (!applied) return std::unexpected(applied.error());
  if (!WeightLease::ranOut(*p, *applied)) return std::optional<providers::TrafficLease>{};
  return applied->lease;
}

Result<bool> Entrypoints::verified(const providers::EntrypointKey& key) {
  auto plan = this->plan(key);
  if (!plan) return std::unexpected(plan.error());
  auto applied = traffic_.appliedTraffic(key);
  if (!applied) return std::unexpected(applied.error());
  std::map<std::string, int> got;
  for (auto& f : applied->fleets) {
    if (f.weight > 0 && f.backends.empty()) return false;
    got[f.fleetId] = f.weight;
  }
  for (auto& [fleet, w] : plan->weights) {
    auto it = got.find(fleet);
    int have = it == got.end() ? 0 : it->second;
    if (have != w) return false;
  }
  for (auto& [fleet, w] : got) {
    if (w > 0 && !plan->weights.contains(fleet)) return false;
  }
  return true;
}

Result<std::optional<std::string>> Entrypoints::stableFleet(const providers::EntrypointKey& key) {
  return rowText(key, &store::EntrypointRecord::stableFleet);
}

Status Entrypoints::setStableFleet(const providers::EntrypointKey& key, const std::string& fleet,
                                   const std::string& version) {
  return store_.putStableFleet(rowKey(key), fleet, version, ledger_.fence());
}

Status Entrypoints::forget(const providers::EntrypointKey& key) {
  if (auto st = store_.putTrafficPlan(rowKey(key), TrafficPlan{}.toJson(), ledger_.fence()); !st) return st;
  noteLease(key, TrafficPlan{});
  return store_.putStableFleet(rowKey(key), "", "", ledger_.fence());
}

}  // namespace ramp::engine
