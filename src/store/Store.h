// Store.h — the durable state of a ramp world: every role of the store in one
// object, and openStore().
//
// Callers depend on the role they use, not on the whole Store:
//
//   ReleaseStore.h     releases (immutable by service + version)
//   DeploymentStore.h  deployments and fleets (revisions, fences)
//   LeaseStore.h       leases and the fences they give
//   AuditStore.h       the audit log (hash chain)
//   OutboxStore.h      alerts waiting to be sent (written with their event)
//   IdentityStore.h    users and tokens
//   InfraStore.h       infrastructure state and the apply journal
//   ProviderStore.h    which provider (and site) runs each environment and fleet
//   TrafficStore.h     per entry point: URL, traffic plan, stable fleet
//   SettingsStore.h    small named values without a table of their own
//   ConfigVersionStore.h  the config of record (pushed versions, the one in force)
//
// One implementation, SqlStore (SqlStore.h), over a SQLite file (the
// embedded default) or PostgreSQL (shared, for controllers on several
// hosts); both pass one conformance suite (tests/store) and apply the
// versioned migrations in Migrations.* on open.
//
// Contract for every role:
//  - Every method is atomic: it either commits fully or changes nothing.
//  - Writes that take a Fence are refused with kConflict (naming the lease
//    and both epochs) unless the named lease is held at exactly that epoch.
//    This is how a deposed leader is stopped from acting.
//  - Errors: a missing record is kNotFound; a revision, fence, lease,
//    duplicate id or different release digest is kConflict; bad arguments
//    are kInvalid with `where` naming the field; an unreachable or locked
//    database is kUnavailable.
//  - Thread-safe: one Store object may be used from many threads.
//  - Times are Unix milliseconds (toUnixMillis), given by the caller: the
//    store has no clock.
#pragma once

#include <memory>
#include <string>

#include "core/Result.h"
#include "store/AuditStore.h"
#include "store/ConfigVersionStore.h"
#include "store/DeploymentStore.h"
#include "store/IdentityStore.h"
#include "store/InfraStore.h"
#include "store/LeaseStore.h"
#include "store/OutboxStore.h"
#include "store/ProviderStore.h"
#include "store/ReleaseStore.h"
#include "store/SettingsStore.h"
#include "store/TrafficStore.h"

namespace ramp::store {

class Store : public ReleaseStore,
              public DeploymentStore,
              public LeaseStore,
              public AuditStore,
              public OutboxStore,
              public IdentityStore,
              public InfraStore,
              public ProviderStore,
              public TrafficStore,
              public SettingsStore,
              public ConfigVersionStore {
 public:
  ~Store() override = default;

  // Applies pending migrations; idempotent. Called by openStore().
  virtual Status migrate() = 0;
  virtual Result<int> schemaVersion() = 0;
  virtual std::string kind() const = 0;  // "sqlite" | "postgresql"
};

// Opens a store from a URL: "sqlite:///abs/path.db", a plain path (SQLite),
// or "postgresql://..." / "postgres://..." (libpq connection URI; a Unix
// socket directory goes in ?host=/dir). Runs migrate().
Result<std::unique_ptr<Store>> openStore(const std::string& url);

}  // namespace ramp::store
