// LostAnswerStore.h — a Store that loses one write's answer: the fault a
// controller meets when its database connection breaks during COMMIT.
//
// It forwards every call to the real store it wraps. The writes a running
// engine makes (deployments, fleets, entry point rows, audit events,
// settings) are numbered from 1 as they come; the one numbered `failAt`
// fails, in one of two ways:
//   - kAfterCommit: the write is made, then the caller gets kUnavailable
//     (the commit's state is unknown to it), and its record is left as it
//     passed it: a revision the store has already moved past;
//   - kBeforeCommit: the caller gets kUnavailable and nothing is written.
// `failAt` 0 loses nothing; `writes` counts the writes seen, so a clean run
// tells a test how many there are to lose. Reads are never touched.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/Result.h"
#include "store/Store.h"

namespace ramp::fakes {

class LostAnswerStore final : public store::Store {
 public:
  enum class Loss { kAfterCommit, kBeforeCommit };

  explicit LostAnswerStore(store::Store& inner) : inner_(inner) {}

  int failAt = 0;
  Loss loss = Loss::kAfterCommit;
  int writes = 0;
  std::vector<std::string> lost;  // what was lost: "<method> #<n>"

  // ReleaseStore
  Status putRelease(const store::ReleaseRecord& r) override { return inner_.putRelease(r); }
  Status putReleaseContent(const std::string& service, const std::string& version, const std::string& sha256,
                           std::string_view bytes) override {
    return inner_.putReleaseContent(service, version, sha256, bytes);
  }
  Result<std::optional<store::ReleaseContent>> getReleaseContent(const std::string& service,
                                                                 const std::string& version) override {
    return inner_.getReleaseContent(service, version);
  }
  Result<store::ReleaseRecord> getRelease(const std::string& service, const std::string& version) override {
    return inner_.getRelease(service, version);
  }
  Result<std::vector<store::ReleaseRecord>> listReleases(const std::optional<std::string>& service) override {
    return inner_.listReleases(service);
  }

  // DeploymentStore: the record is the caller's; a lost answer leaves it as passed.
  Status insertDeployment(store::DeploymentRecord& d, const std::optional<store::Fence>& fence,
                          const std::vector<store::AuditEventInput>& events = {}) override {
    return write("insertDeployment", d, [&](store::DeploymentRecord& r) { return inner_.insertDeployment(r, fence, events); });
  }
  Status updateDeployment(store::DeploymentRecord& d, const std::optional<store::Fence>& fence,
                          const std::vector<store::AuditEventInput>& events = {}) override {
    return write("updateDeployment", d, [&](store::DeploymentRecord& r) { return inner_.updateDeployment(r, fence, events); });
  }
  Result<store::DeploymentRecord> getDeployment(const std::string& id) override { return inner_.getDeployment(id); }
  Result<std::vector<store::DeploymentRecord>> listDeployments(const store::DeploymentFilter& f) override {
    return inner_.listDeployments(f);
  }
  Status putFleet(store::FleetRecord& f, const std::optional<store::Fence>& fence) override {
    return write("putFleet", f, [&](store::FleetRecord& r) { return inner_.putFleet(r, fence); });
  }
  Result<store::FleetRecord> getFleet(const std::string& id) override { return inner_.getFleet(id); }
  Result<std::vector<store::FleetRecord>> listFleets(const std::optional<std::string>& service,
                                                     const std::optional<std::string>& env,
                                                     bool includeRetired) override {
    return inner_.listFleets(service, env, includeRetired);
  }

  // LeaseStore: the controller's own lease is not the engine's to lose.
  Result<store::Lease> acquireLease(const std::string& name, const std::string& owner, int64_t ttlMs,
                                    int64_t now) override {
    return inner_.acquireLease(name, owner, ttlMs, now);
  }
  Result<store::Lease> renewLease(const std::string& name, const std::string& owner, int64_t epoch, int64_t ttlMs,
                                  int64_t now) override {
    return inner_.renewLease(name, owner, epoch, ttlMs, now);
  }
  Status releaseLease(const std::string& name, const std::string& owner, int64_t epoch) override {
    return inner_.releaseLease(name, owner, epoch);
  }
  Result<std::optional<store::Lease>> getLease(const std::string& name) override { return inner_.getLease(name); }

  // AuditStore
  Result<store::AuditEvent> appendEvent(const store::AuditEventInput& e) override {
    store::AuditEventInput copy = e;
    store::AuditEvent out;
    auto r = write("appendEvent", copy, [&](store::AuditEventInput& in) -> Status {
      auto got = inner_.appendEvent(in);
      if (!got) return std::unexpected(got.error());
      out = std::move(*got);
      return {};
    });
    if (!r) return std::unexpected(r.error());
    return out;
  }
  Result<std::vector<store::AuditEvent>> listEvents(const store::AuditFilter& f) override {
    return inner_.listEvents(f);
  }
  Result<std::optional<store::AuditSealRecord>> getAuditSeal() override { return inner_.getAuditSeal(); }
  Status putAuditSeal(const store::AuditSealRecord& s) override { return inner_.putAuditSeal(s); }

  // OutboxStore
  Result<std::vector<store::OutboxAlert>> claimDueAlerts(int64_t now, int64_t claimUntil, int64_t claimer,
                                                         int limit) override {
    return inner_.claimDueAlerts(now, claimUntil, claimer, limit);
  }
  Result<bool> settleAlert(int64_t id, const store::AlertAttempt& attempt,
                           const std::optional<store::AuditEventInput>& event) override {
    return inner_.settleAlert(id, attempt, event);
  }
  Result<std::vector<store::OutboxAlert>> listAlerts(const std::optional<int64_t>& eventSeq, int limit) override {
    return inner_.listAlerts(eventSeq, limit);
  }

  // IdentityStore
  Status putUser(const store::UserRecord& u) override { return inner_.putUser(u); }
  Result<store::UserRecord> getUser(const std::string& name) override { return inner_.getUser(name); }
  Result<std::vector<store::UserRecord>> listUsers() override { return inner_.listUsers(); }
  Status insertToken(const store::TokenRecord& t) override { return inner_.insertToken(t); }
  Result<store::TokenRecord> findTokenBySha256(const std::string& sha256) override {
    return inner_.findTokenBySha256(sha256);
  }
  Result<std::vector<store::TokenRecord>> listTokens(const std::optional<std::string>& user) override {
    return inner_.listTokens(user);
  }
  Result<store::TokenRecord> revokeToken(const std::string& id, int64_t now) override {
    return inner_.revokeToken(id, now);
  }
  Status touchToken(const std::string& id, int64_t at) override { return inner_.touchToken(id, at); }

  // InfraStore
  Result<std::optional<store::InfraStateRecord>> getInfraState(const std::string& project, const std::string& env,
                                                               const std::string& region) override {
    return inner_.getInfraState(project, env, region);
  }
  Status putInfraState(store::InfraStateRecord& r, int64_t expectedSerial) override {
    return inner_.putInfraState(r, expectedSerial);
  }
  Result<std::vector<store::InfraStateRecord>> listInfraStates(const std::string& project,
                                                               const std::string& env) override {
    return inner_.listInfraStates(project, env);
  }
  Result<int64_t> appendInfraJournal(const store::InfraJournalRecord& e) override {
    return inner_.appendInfraJournal(e);
  }
  Status updateInfraJournal(int64_t id, const std::string& status, const store::Json& detail, int64_t at) override {
    return inner_.updateInfraJournal(id, status, detail, at);
  }
  Result<std::vector<store::InfraJournalRecord>> listInfraJournal(
      const std::string& project, const std::string& env, bool openOnly,
      const std::optional<std::string>& applyId = std::nullopt) override {
    return inner_.listInfraJournal(project, env, openOnly, applyId);
  }

  // ProviderStore
  Status putProviderEnvironment(const store::ProviderEnvironmentRecord& r) override {
    return inner_.putProviderEnvironment(r);
  }
  Result<std::vector<store::ProviderEnvironmentRecord>> listProviderEnvironments() override {
    return inner_.listProviderEnvironments();
  }
  Status putFleetPlacement(const store::FleetPlacementRecord& r) override { return inner_.putFleetPlacement(r); }
  Result<std::optional<store::FleetPlacementRecord>> getFleetPlacement(const std::string& fleetId) override {
    return inner_.getFleetPlacement(fleetId);
  }
  Result<std::vector<store::FleetPlacementRecord>> listFleetPlacements() override {
    return inner_.listFleetPlacements();
  }

  // TrafficStore
  Status putEntrypointUrl(const store::EntrypointKey& key, const std::string& url,
                          const std::optional<store::Fence>& fence) override {
    return unit("putEntrypointUrl", [&] { return inner_.putEntrypointUrl(key, url, fence); });
  }
  Status putTrafficPlan(const store::EntrypointKey& key, const store::Json& plan,
                        const std::optional<store::Fence>& fence,
                        const std::vector<store::AuditEventInput>& events = {}) override {
    return unit("putTrafficPlan", [&] { return inner_.putTrafficPlan(key, plan, fence, events); });
  }
  Status putStableFleet(const store::EntrypointKey& key, const std::string& fleet, const std::string& version,
                        const std::optional<store::Fence>& fence) override {
    return unit("putStableFleet", [&] { return inner_.putStableFleet(key, fleet, version, fence); });
  }
  Result<std::optional<store::EntrypointRecord>> getEntrypoint(const store::EntrypointKey& key) override {
    return inner_.getEntrypoint(key);
  }
  Result<std::vector<store::EntrypointRecord>> listEntrypoints() override { return inner_.listEntrypoints(); }

  // SettingsStore
  Result<std::optional<std::string>> getSetting(const std::string& key) override { return inner_.getSetting(key); }
  Status putSetting(const std::string& key, const std::string& value,
                    const std::optional<store::Fence>& fence = std::nullopt) override {
    return unit("putSetting", [&] { return inner_.putSetting(key, value, fence); });
  }
  Result<std::string> putSettingIfAbsent(const std::string& key, const std::string& value) override {
    return inner_.putSettingIfAbsent(key, value);
  }

  // ConfigVersionStore
  Status appendConfigVersion(store::ConfigVersionRecord& r) override { return inner_.appendConfigVersion(r); }
  Status updateConfigVersion(store::ConfigVersionRecord& r) override { return inner_.updateConfigVersion(r); }
  Result<store::ConfigVersionRecord> getConfigVersion(int64_t version) override {
    return inner_.getConfigVersion(version);
  }
  Result<std::optional<store::ConfigVersionRecord>> configVersionInForce() override {
    return inner_.configVersionInForce();
  }
  Result<std::vector<store::ConfigVersionRecord>> listConfigVersions(const std::vector<std::string>& states,
                                                                     int limit) override {
    return inner_.listConfigVersions(states, limit);
  }

  // Store
  Status migrate() override { return inner_.migrate(); }
  Result<int> schemaVersion() override { return inner_.schemaVersion(); }
  std::string kind() const override { return inner_.kind(); }

 private:
  static std::unexpected<Error> unavailableAnswer(std::string_view method) {
    return unavailable("the connection to the database broke during COMMIT (lost answer injected by the test)",
                       std::string(method));
  }

  // Write `record` through `op` on a copy: on success the caller's record
  // becomes the store's answer; on a lost answer it stays as passed.
  template <class Record, class Op>
  Status write(std::string_view method, Record& record, Op op) {
    const int n = ++writes;
    if (n != failAt) return op(record);
    lost.push_back(std::string(method) + " #" + std::to_string(n));
    if (loss == Loss::kAfterCommit) {
      Record copy = record;
      (void)op(copy);
    }
    return unavailableAnswer(method);
  }
  template <class Op>
  Status unit(std::string_view method, Op op) {
    int ignored = 0;
    return write(method, ignored, [&](int&) { return op(); });
  }

  store::Store& inner_;
};

}  // namespace ramp::fakes
