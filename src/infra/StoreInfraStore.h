// StoreInfraStore.h — InfraStore over ramp's store (SQLite or PostgreSQL).
//
// Resources are kept in the store's infra_state.resources_json as an object
// keyed by address: {address: {type, name, region, id, attributes}}. Times
// come from the injected Clock. See InfraStore.h for the contract.
#pragma once

#include "core/Clock.h"
#include "infra/InfraStore.h"
#include "store/Store.h"

namespace ramp::infra {

class StoreInfraStore final : public InfraStore {
 public:
  StoreInfraStore(store::Store& store, Clock& clock) : store_(store), clock_(clock) {}

  Result<InfraState> load(const std::string& project, const std::string& env,
                          const std::string& region) override;
  Result<std::map<std::string, InfraState>> loadAll(const std::string& project,
                                                    const std::string& env) override;
  Status save(InfraState& s, int64_t expectedSerial) override;

  Result<int64_t> appendJournal(const JournalEntry& e) override;
  Status finishJournal(int64_t id, const std::string& status, const nlohmann::json& detail) override;
  Result<std::vector<JournalEntry>> openJournal(const std::string& project, const std::string& env) override;
  Result<std::vector<JournalEntry>> journalOf(const std::string& project, const std::string& env,
                                              const std::string& applyId) override;

  Result<InfraLease> acquireLease(const std::string& name, const std::string& owner, int64_t ttlMs) override;
  Result<InfraLease> renewLease(const InfraLease& lease, int64_t ttlMs) override;
  Status releaseLease(const InfraLease& lease) override;

  Status recordEvent(const std::string& kind, const std::string& actor, const std::string& env,
                     const nlohmann::json& data) override;

 private:
  store::Store& store_;
  Clock& clock_;
};

}  // namespace ramp::infra
