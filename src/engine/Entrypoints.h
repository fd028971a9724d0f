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
// The rows are kept in memory for the engine's term (one Engine per
// leadership term: a controller builds it when it takes the lease, with
// that lease's fence, and drops it when it loses the lease; no other writer
// gets past the fence meanwhile). They are loaded from the store with one
// query on first use and again every kRefresh (a safety net: what another
// process wrote outside the fence, or while this one was not leading, is
// then seen), outside the lock; every write here goes to the store first
// and then to memory, and a write that failed (its commit state unknown)
// drops the row from memory, so the next read asks the store. A refresh
// that raced with a write keeps the written row (generation counter).
// So the tick's sweep over 10,000 entry points every 2 s, reconcile() at
// every look and the lease keeper every 100 ms read no row from the store
// (issue #20: those reads were about 5,000 queries a second on
// PostgreSQL). The keeper renews a lease only when a third of it has
// passed since it last renewed it.
//
// Thread-safety: thread-safe. The rows are guarded by a mutex, never held
// across a store or provider call; one entry point's row is edited by the
// one deployment that runs there (the scheduler runs a service+env's work
// in order).
#pragma once

#include <map>
#include <memory>
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
  // Every entry point (the rows in memory; see above), sorted; shared, so
  // the tick's sweep copies nothing: rebuilt only when the set changes. A
  // store error while loading keeps the last list.
  std::shared_ptr<const std::vector<providers::EntrypointKey>> known();
  Result<std::optional<std::string>> url(const providers::EntrypointKey& key);
  // Forces the next read to reload every row from the store (tests; a
  // person's repair of the table by hand is otherwise seen within kRefresh).
  void reload();

  Result<TrafficPlan> plan(const providers::EntrypointKey& key);
  // The row at once (one store read): what `status` shows per region.
  struct View {
    std::optional<std::string> url;     // nullopt: none recorded
    TrafficPlan plan;                   // empty when no row
    std::optional<std::string> stable;  // the stable fleet; nullopt: none
  };
  Result<View> view(const providers::EntrypointKey& key);
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
  static constexpr std::chrono::seconds kRefresh{30};
  // The loads rows from the store when due (not under rowsMu_).
  void refresh();
  // The row: from memory, or (not loaded, or not there) from the store.
  Result<View> rowOf(const providers::EntrypointKey& key);
  // After a write of `key` to the store: its row read back into memory;
  // after a failed write (or read): the row dropped from memory.
  void noteWrite(const providers::EntrypointKey& key, const Status& written);
  // The row as the store has it now (no row: an empty one).
  Result<View> readRow(const providers::EntrypointKey& key);
  static store::EntrypointKey rowKey(const providers::EntrypointKey& key) {
    return {key.service, key.env, key.region};
  }
  static bool leased(const View& row) { return row.plan.leaseMs > 0 && !row.plan.stable.empty(); }

  store::Store& store_;
  providers::FleetProvider& fleets_;
  providers::TrafficProvider& traffic_;
  DeploymentLedger& ledger_;
  Clock& clock_;
  std::mutex rowsMu_;  // guards everything below
  std::map<providers::EntrypointKey, View> rows_;  // every entry point, as last written or loaded
  std::shared_ptr<const std::vector<providers::EntrypointKey>> keys_;  // rows_'s keys; null: to rebuild
  bool loaded_ = false;
  bool loading_ = false;
  std::optional<MonoTime> loadedAt_;
  uint64_t writes_ = 0;                                      // local writes so far
  std::map<providers::EntrypointKey, uint64_t> writtenAt_;  // writes_ after each key's last local write
  std::map<std::string, MonoTime> leaseRenewedAt_;          // renewLeases(): per entry point name
};

}  // namespace ramp::engine
