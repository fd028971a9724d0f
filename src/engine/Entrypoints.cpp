#include "engine/Entrypoints.h"

#include <algorithm>
#include <set>

#include "engine/Failpoint.h"
#include "engine/WeightLease.h"

namespace ramp::engine {

using nlohmann::json;

namespace {

// A row as the engine reads it (the one conversion: reads and reloads).
Entrypoints::View viewOf(store::EntrypointRecord&& r) {
  Entrypoints::View v;
  if (!r.url.empty()) v.url = std::move(r.url);
  v.plan = TrafficPlan::fromJson(r.trafficPlan);
  if (!r.stableFleet.empty()) v.stable = std::move(r.stableFleet);
  return v;
}

}  // namespace

Entrypoints::Entrypoints(store::Store& store, providers::FleetProvider& fleets, providers::TrafficProvider& traffic,
                         DeploymentLedger& ledger, Clock& clock)
    : store_(store), fleets_(fleets), traffic_(traffic), ledger_(ledger), clock_(clock) {}

Result<std::string> Entrypoints::ensure(const providers::EntrypointKey& key) {
  auto url = traffic_.ensureEntrypoint(key);
  if (!url) return std::unexpected(url.error());
  auto st = store_.putEntrypointUrl(rowKey(key), *url, ledger_.fence());
  noteWrite(key, st);
  if (!st) return std::unexpected(st.error());
  return url;
}

void Entrypoints::noteWrite(const providers::EntrypointKey& key, const Status& written) {
  // Read back: the row as the store has it after this write (no other
  // writer of this row gets past the fence; this deployment's strand is
  // the only one here).
  std::optional<View> row;
  if (written) {
    if (auto back = readRow(key)) row = std::move(*back);
  }
  std::lock_guard lock(rowsMu_);
  writtenAt_[key] = ++writes_;
  if (row) {
    auto [it, added] = rows_.insert_or_assign(key, std::move(*row));
    if (added) keys_.reset();
  } else if (rows_.erase(key) > 0) {  // committed or not, or not read back: the store says, at the next read
    keys_.reset();
  }
}

Result<Entrypoints::View> Entrypoints::readRow(const providers::EntrypointKey& key) {
  auto row = store_.getEntrypoint(rowKey(key));
  if (!row) return std::unexpected(row.error());
  if (!*row) return View{};
  return viewOf(std::move(**row));
}

void Entrypoints::reload() {
  std::lock_guard lock(rowsMu_);
  loadedAt_.reset();
}

void Entrypoints::refresh() {
  uint64_t from;
  {
    std::lock_guard lock(rowsMu_);
    const MonoTime now = clock_.monotonic();
    if (loading_ || (loadedAt_ && now - *loadedAt_ < kRefresh)) return;
    loading_ = true;
    loadedAt_ = now;  // a failed load is tried again after kRefresh; reads meanwhile ask the store
    from = writes_;
  }
  auto rows = store_.listEntrypoints();
  std::map<providers::EntrypointKey, View> loaded;
  if (rows) {
    for (auto& r : *rows) {
      providers::EntrypointKey key{r.key.service, r.key.env, r.key.region};
      loaded.emplace(std::move(key), viewOf(std::move(r)));
    }
  }
  std::lock_guard lock(rowsMu_);
  loading_ = false;
  if (!rows) return;
  // A row written here since the load began is newer than the loaded one
  // (or, its write having failed, unknown: left out, so read from the store).
  for (const auto& [key, at] : writtenAt_) {
    if (at <= from) continue;
    if (auto it = rows_.find(key); it != rows_.end()) {
      loaded[key] = it->second;
    } else {
      loaded.erase(key);
    }
  }
  rows_ = std::move(loaded);
  keys_.reset();
  writtenAt_.clear();
  writes_ = 0;
  loaded_ = true;
}

std::shared_ptr<const std::vector<providers::EntrypointKey>> Entrypoints::known() {
  refresh();
  std::lock_guard lock(rowsMu_);
  if (!keys_) {
    auto keys = std::make_shared<std::vector<providers::EntrypointKey>>();
    keys->reserve(rows_.size());
    for (const auto& [key, row] : rows_) keys->push_back(key);
    keys_ = std::move(keys);
  }
  return keys_;
}

Result<Entrypoints::View> Entrypoints::rowOf(const providers::EntrypointKey& key) {
  refresh();
  {
    std::lock_guard lock(rowsMu_);
    if (loaded_) {
      if (auto it = rows_.find(key); it != rows_.end()) return it->second;
    }
  }
  return readRow(key);
}

Result<std::optional<std::string>> Entrypoints::url(const providers::EntrypointKey& key) {
  auto row = rowOf(key);
  if (!row) return std::unexpected(row.error());
  return row->url;
}

Result<TrafficPlan> Entrypoints::plan(const providers::EntrypointKey& key) {
  auto row = rowOf(key);
  if (!row) return std::unexpected(row.error());
  return std::move(row->plan);
}

Result<Entrypoints::View> Entrypoints::view(const providers::EntrypointKey& key) { return rowOf(key); }

Status Entrypoints::savePlan(const providers::EntrypointKey& key, const TrafficPlan& plan, const std::string& actor,
                             const std::string& deploymentId) {
  auto before = this->plan(key);
  if (!before) return std::unexpected(before.error());
  if (before->weights == plan.weights && before->pin == plan.pin && before->stable == plan.stable &&
      before->leaseMs == plan.leaseMs) {
    return ok();
  }
  json data{{"entrypoint", entrypointName(key)}, {"weights", plan.weights}};
  if (!plan.stable.empty()) data["stable"] = plan.stable;
  if (plan.leaseMs > 0) data["lease_ms"] = plan.leaseMs;
  failpointSideEffect("traffic plan");
  // The plan and its traffic.set in one transaction: a plan in force never
  // lacks its event, whether the write's answer is lost or the process dies.
  auto st = store_.putTrafficPlan(
      rowKey(key), plan.toJson(), ledger_.fence(),
      {ledger_.entrypointEvent("traffic.set", key.service, key.env, deploymentId, std::move(data), actor)});
  noteWrite(key, st);
  if (!st) return st;
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
  refresh();
  std::vector<providers::EntrypointKey> due;
  {
    std::lock_guard lock(rowsMu_);
    for (const auto& [key, row] : rows_) {
      if (!leased(row)) continue;
      auto& last = leaseRenewedAt_[entrypointName(key)];
      if (now - last < std::chrono::milliseconds(row.plan.leaseMs / 3)) continue;
      last = now;
      due.push_back(key);
    }
  }
  Status first = ok();
  for (const auto& key : due) {
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
  auto row = rowOf(key);
  if (!row) return std::unexpected(row.error());
  return row->stable;
}

Status Entrypoints::setStableFleet(const providers::EntrypointKey& key, const std::string& fleet,
                                   const std::string& version) {
  auto st = store_.putStableFleet(rowKey(key), fleet, version, ledger_.fence());
  noteWrite(key, st);
  return st;
}

Status Entrypoints::forget(const providers::EntrypointKey& key) {
  auto st = store_.putTrafficPlan(rowKey(key), TrafficPlan{}.toJson(), ledger_.fence());
  noteWrite(key, st);
  if (!st) return st;
  return setStableFleet(key, "", "");
}

}  // namespace ramp::engine
