// Entrypoints.h — what the engine keeps per entry point (service × env ×
// region), and the data plane made to match it.
//
// Per entry point, in the store's `entrypoints` table (store/TrafficStore.h):
// the desired TrafficPlan, the stable fleet (and its version), the URL. Deployments edit the plan;
// reconcile() makes the data plane apply it with each fleet's currently
// healthy instances (a replaced instance is swapped in without any
// deployment noticing); verified() reads the weights back. Every plan change
// is an audit event (traffic.set). Writes carry the controller's fence.
//
// A canary split is held under a weight lease (TrafficPlan::leaseMs,
// engine/WeightLease.h): reconcile() renews a held lease when a third of it
// has passed and never puts back a leased split whose lease ran out (the
// deployment decides: ranOut()); renewLeases() renews every held lease on
// its own (the controller's lease keeper thread), so that a busy worker
// never lets a live controller's canaries fall back.
//
// known() is the tick's list for the sweep, read on every tick, and
// renewLeases() runs every 100 ms: both work from memory — the entry
// points, and those whose plan holds a weight lease — loaded from the store
// (one query) on first use and again every kKnownRefresh (what another
// controller wrote while this one was not leading is then seen), and kept
// current by ensure(), savePlan() and forget(), which write the store
// first. So a tick over 10,000 entry points parses no list, and the lease
// keeper reads only the plans that hold a lease.
//
// Thread-safety: thread-safe. The in-memory list is guarded by a mutex;
// one entry point's row is edited by the one deployment that runs there
// (the scheduler runs a service+env's work in order), so rows need no lock
// of their own.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/Clock.h"
#include "core/Result.h"
#include "engine/DeploymentLedger.h"
#include "engine/TrafficPlan.h"
#include "providers/Provider.h"
#include "store/Store.h"

namespace ramp::engine {

class Entrypoints {
 public:
  Entrypoints(store::Store& store, providers::FleetProvider& fleets, providers::TrafficProvider& traffic,
              DeploymentLedger& ledger, Clock& clock);

  // Ensures the data plane's entry point exists, records its URL and
  // remembers it; returns the URL.
  Result<std::string> ensure(const providers::EntrypointKey& key);
  // Every entry point the engine has created (the in-memory list; see
  // above). A store error while loading keeps the last list.
  std::vector<providers::EntrypointKey> known();
  Result<std::optional<std::string>> url(const providers::EntrypointKey& key);

  Result<TrafficPlan> plan(const providers::EntrypointKey& key);
  // Writes the plan when it differs, with a traffic.set event.
  Status savePlan(const providers::EntrypointKey& key, const TrafficPlan& plan, const std::string& actor,
                  const std::string& deploymentId);
  // Makes the data plane apply the plan: sets the split when it differs,
  // renews a held lease when due (no call when neither), and leaves a split
  // whose lease ran out alone — unless `resumeRanOut` (the deployment chose
  // on_lease_expiry: resume), which puts the plan's split back.
  Status reconcile(const providers::EntrypointKey& key, bool resumeRanOut = false);
  // Renews the lease of every entry point whose plan holds one, at most
  // once per third of the lease (`now`: the monotonic clock). A lease not
  // held (not set yet, or already run out) is left to reconcile and the
  // deployment. The first error; the others are still tried.
  Status renewLeases(MonoTime now);
  // When the plan holds a lease over `fleet` and the data plane reports it
  // ran out: the lease as the data plane reports it; else nullopt.
  Result<std::optional<providers::TrafficLease>> ranOut(const providers::EntrypointKey& key,
                                                        const std::string& fleet);
  // true when the data plane applies exactly the desired weights.
  Result<bool> verified(const providers::EntrypointKey& key);

  Result<std::optional<std::string>> stableFleet(const providers::EntrypointKey& key);
  Status setStableFleet(const providers::EntrypointKey& key, const std::string& fleet, const std::string& version);
  // `ramp down`: an empty plan and no stable fleet.
  Status forget(const providers::EntrypointKey& key);

 private:
  static constexpr std::chrono::seconds kKnownRefresh{30};
  // One text column of the entry point's row; nullopt when no row or "".
  Result<std::optional<std::string>> rowText(const providers::EntrypointKey& key,
                                             std::string store::EntrypointRecord::*field);
  // Under listMu_: (re)loads known_ and leased_ from the store when due.
  void refreshLocked();
  // After a plan was written: whether `key` now holds a lease.
  void noteLease(const providers::EntrypointKey& key, const TrafficPlan& plan);
  static store::EntrypointKey rowKey(const providers::EntrypointKey& key) {
    return {key.service, key.env, key.region};
  }

  store::Store& store_;
  providers::FleetProvider& fleets_;
  providers::TrafficProvider& traffic_;
  DeploymentLedger& ledger_;
  Clock& clock_;
  std::mutex listMu_;  // guards known_, leased_, knownLoadedAt_
  std::vector<providers::EntrypointKey> known_;  // sorted, unique
  std::set<providers::EntrypointKey> leased_;     // plans holding a lease (leaseMs > 0, a stable fleet)
  std::optional<MonoTime> knownLoadedAt_;
  std::mutex leaseMu_;  // leaseRenewedAt_
  std::map<std::string, MonoTime> leaseRenewedAt_;  // renewLeases(): per entry point name
};

}  // namespace ramp::engine
