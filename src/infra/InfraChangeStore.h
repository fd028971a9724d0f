// InfraChangeStore.h — where InfraChanges (infra/InfraChange.h) live: in
// ramp's store (SQLite or PostgreSQL), as documents in its settings table,
// so no migration is needed and both backends behave alike (the settings
// methods are part of the store conformance suite).
//
//   key "infra.change.<id>"   the change's JSON (InfraChange::toJson)
//   key "infra.changes.open"  JSON array of the ids not yet final, oldest
//                             first (what `ramp approvals` and the
//                             controller's resume look at)
//
// Contract:
// - insert: kConflict when the id exists; sets revision = 1.
// - update: compare-and-swap on revision (the caller names the revision it
//   read; kConflict naming the id and both revisions otherwise); sets
//   revision + 1. A change that becomes final leaves the open index.
// - get: kNotFound naming the id ("no infrastructure change <id>").
// - listOpen: the open changes, oldest first (optionally of one env).
// - listRecent: the last `limit` changes ever recorded, newest first.
// Writers are the leading controller only (followers forward the routes);
// within one process every method is serialised by one mutex, which makes
// the read-compare-write of update atomic. A document that does not parse is
// reported kInternal naming its key (never skipped silently).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/Result.h"
#include "infra/InfraChange.h"
#include "store/Store.h"

namespace ramp::infra {

class InfraChangeStore {
 public:
  explicit InfraChangeStore(store::Store& store) : store_(store) {}

  Status insert(InfraChange& c);
  Status update(InfraChange& c);
  Result<InfraChange> get(const std::string& id);
  Result<std::vector<InfraChange>> listOpen(const std::optional<std::string>& env = std::nullopt);
  Result<std::vector<InfraChange>> listRecent(int limit);

  static std::string keyOf(const std::string& id) { return "infra.change." + id; }

 private:
  Result<std::vector<std::string>> readIndex(const std::string& key);
  Status writeIndex(const std::string& key, const std::vector<std::string>& ids);
  Result<InfraChange> getLocked(const std::string& id);

  store::Store& store_;
};

}  // namespace ramp::infra
