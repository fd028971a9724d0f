// ConfigVersionStore.h — the role of the store that keeps the config of
// record: every pushed version of the project's configuration (docs/config-
// of-record in docs/access.md and docs/decisions.md "The config of record").
//
// A version is immutable once written except for its state and `doc` (the
// approval of a pending push, the decision). Exactly one version is
// `in_force` at a time (or none before the first push); the database holds
// that too (a unique partial index). States:
//   in_force    the configuration the controller enforces now
//   superseded  was in force; a later version replaced it
//   pending     pushed, waiting for approvals (a protected environment's
//               policy changes); nothing of it takes effect until approved
//   rejected | expired | withdrawn   a pending version that never took effect
//   stale       a pending version whose base is no longer in force when it
//               was approved (push again on top of the version in force)
//
// Contract (both stores, tests/store conformance suite):
// - appendConfigVersion: assigns version = newest + 1 (1 for the first) and
//   revision = 1. State must be in_force or pending (kInvalid "state").
//   In force: kConflict naming both versions unless the version in force is
//   exactly r.baseVersion (0 = none in force); the previous one becomes
//   superseded in the same transaction. Pending: recorded as it is
//   (baseVersion = what it was compared with).
// - updateConfigVersion: state, doc and updatedAt of a PENDING version,
//   compare-and-swap on revision (kConflict naming the version and both
//   revisions); kFailedPrecondition when it is no longer pending; kNotFound
//   for an unknown version. Moving it in_force is refused with kConflict
//   unless the version in force is still its baseVersion (the previous one
//   then becomes superseded in the same transaction). Sets revision + 1.
// - getConfigVersion: kNotFound ("no config version N", where "version").
// - configVersionInForce: nullopt before the first push.
// - listConfigVersions: newest first, at most `limit`, only `states` when
//   that is not empty.
// - kInvalid for an empty digest / pushedBy, or files that are not an array.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/Result.h"

namespace ramp::store {

struct ConfigVersionRecord {
  int64_t version = 0;        // assigned by the store: 1, 2, ...
  std::string state;          // see above
  int64_t baseVersion = 0;    // the version in force it was compared with (0 = none)
  std::string digest;         // "sha256:<hex>" of the files (record/ConfigBundle.h)
  std::string pushedBy;
  int64_t pushedAt = 0;       // Unix ms
  std::optional<std::string> gitCommit;  // as the pusher's work tree said
  std::optional<bool> gitDirty;
  std::string message;
  nlohmann::json files = nlohmann::json::array();  // [{"name", "text"}], the pushed files
  nlohmann::json doc = nlohmann::json::object();   // summary, needs, approvals, decision
  int64_t revision = 0;
  int64_t updatedAt = 0;
};

class ConfigVersionStore {
 public:
  virtual ~ConfigVersionStore() = default;
  virtual Status appendConfigVersion(ConfigVersionRecord& r) = 0;
  virtual Status updateConfigVersion(ConfigVersionRecord& r) = 0;
  virtual Result<ConfigVersionRecord> getConfigVersion(int64_t version) = 0;
  virtual Result<std::optional<ConfigVersionRecord>> configVersionInForce() = 0;
  virtual Result<std::vector<ConfigVersionRecord>> listConfigVersions(const std::vector<std::string>& states,
                                                                      int limit) = 0;
};

}  // namespace ramp::store
