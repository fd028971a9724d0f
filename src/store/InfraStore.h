// InfraStore.h — the store's role for infrastructure state and the apply
// journal (issue 9; the infra layer's own view is infra/InfraStore.h).
//
// getInfraState: nullopt when the project/env/region was never written.
// putInfraState is a compare-and-swap on serial: `expectedSerial` is the
// serial the caller read (0 = no row yet). It writes serial = expectedSerial
// + 1 (and sets r.serial) only when the stored serial is exactly
// expectedSerial and, for an existing row, its lineage equals r.lineage;
// otherwise kConflict naming the region and both serials (or both
// lineages). kInvalid for an empty project/env/lineage or a negative
// expectedSerial (InfraRows.h). listInfraStates: every region of
// project/env, by region.
// Journal: appendInfraJournal assigns and returns the id (ids grow); kInvalid
// for an empty apply_id/project/env/address/action/status.
// updateInfraJournal sets status, detail and at of one entry (kNotFound for
// an unknown id). listInfraJournal: entries of project/env, oldest first;
// openOnly = only those still in status "intent" (the in-flight calls of an
// apply that was killed); applyId narrows to one apply.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/Result.h"
#include "store/Json.h"

namespace ramp::store {

// Infrastructure state of one project × environment × region ("" = the
// global resources, e.g. Route 53 records). The store keeps `resources` as
// an opaque JSON document (the infra layer converts); `lineage` is fixed by
// the first write, `serial` grows by one with every write.
struct InfraStateRecord {
  std::string project;
  std::string env;
  std::string region;
  std::string lineage;
  int64_t serial = 0;
  Json resources = Json::object();
  int64_t updatedAt = 0;
};

// One intended change of an infrastructure apply, written before its API
// call ("intent") and marked "done" or "failed" after it.
struct InfraJournalRecord {
  int64_t id = 0;          // assigned by the store (increasing)
  std::string applyId;
  std::string project;
  std::string env;
  std::string region;
  std::string address;
  std::string action;      // create | update | replace | delete
  std::string clientToken;
  std::string status;      // intent | done | failed
  Json detail = Json::object();
  int64_t at = 0;
};

class InfraStore {
 public:
  virtual ~InfraStore() = default;
  virtual Result<std::optional<InfraStateRecord>> getInfraState(const std::string& project, const std::string& env,
                                                                const std::string& region) = 0;
  virtual Status putInfraState(InfraStateRecord& r, int64_t expectedSerial) = 0;
  virtual Result<std::vector<InfraStateRecord>> listInfraStates(const std::string& project,
                                                                const std::string& env) = 0;
  virtual Result<int64_t> appendInfraJournal(const InfraJournalRecord& e) = 0;
  virtual Status updateInfraJournal(int64_t id, const std::string& status, const Json& detail, int64_t at) = 0;
  virtual Result<std::vector<InfraJournalRecord>> listInfraJournal(
      const std::string& project, const std::string& env, bool openOnly,
      const std::optional<std::string>& applyId = std::nullopt) = 0;
};

}  // namespace ramp::store
