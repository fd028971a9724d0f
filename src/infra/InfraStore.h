// InfraStore.h — what plan, apply and drift need from ramp's store, in the
// infra layer's own types (the store below keeps JSON documents and knows
// nothing of Resource or Plan).
//
// Contract (StoreInfraStore implements it over store::Store; tests use it
// over a SQLite store in a temporary home):
// - load: the state of project/env/region ("" = global). Never written →
//   an empty InfraState with lineage "" and serial 0 (not an error).
// - save: compare-and-swap. `expectedSerial` is the serial the caller read
//   (s.serial of what load returned). An empty lineage is replaced by a new
//   random one (first write). On success s.serial (and s.lineage) are
//   updated; kConflict names the region and both serials when someone else
//   wrote in between.
// - Journal: appendJournal records an intent before its API call and returns
//   its id; finishJournal marks it "done" or "failed" with a detail;
//   openJournal lists the entries of project/env still in "intent", oldest
//   first (the in-flight calls of a killed apply).
// - Leases and audit pass through to the store (the apply lock is the lease
//   "infra/<project>/<env>"; an expired lease is simply taken over).
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/Result.h"
#include "infra/InfraState.h"

namespace ramp::infra {

struct InfraLease {
  std::string name;
  std::string owner;
  int64_t epoch = 0;
  int64_t expiresAt = 0;  // Unix ms
};

class InfraStore {
 public:
  virtual ~InfraStore() = default;

  virtual Result<InfraState> load(const std::string& project, const std::string& env,
                                  const std::string& region) = 0;
  // Every region of project/env that was ever written, by region.
  virtual Result<std::map<std::string, InfraState>> loadAll(const std::string& project,
                                                            const std::string& env) = 0;
  virtual Status save(InfraState& s, int64_t expectedSerial) = 0;

  virtual Result<int64_t> appendJournal(const JournalEntry& e) = 0;
  virtual Status finishJournal(int64_t id, const std::string& status, const nlohmann::json& detail) = 0;
  virtual Result<std::vector<JournalEntry>> openJournal(const std::string& project,
                                                        const std::string& env) = 0;
  // Every entry of one apply, oldest first.
  virtual Result<std::vector<JournalEntry>> journalOf(const std::string& project, const std::string& env,
                                                      const std::string& applyId) = 0;

  virtual Result<InfraLease> acquireLease(const std::string& name, const std::string& owner,
                                          int64_t ttlMs) = 0;
  virtual Result<InfraLease> renewLease(const InfraLease& lease, int64_t ttlMs) = 0;
  virtual Status releaseLease(const InfraLease& lease) = 0;

  // Appends an audit event (kind e.g. "infra.applied") for env.
  virtual Status recordEvent(const std::string& kind, const std::string& actor, const std::string& env,
                             const nlohmann::json& data) = 0;
};

}  // namespace ramp::infra
