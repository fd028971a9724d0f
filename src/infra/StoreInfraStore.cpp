#include "infra/StoreInfraStore.h"

#include <fmt/format.h>

#include "core/Sha256.h"
#include "infra/ResourceJson.h"

namespace ramp::infra {

namespace {

Result<InfraState> fromRecord(const store::InfraStateRecord& r) {
  InfraState s;
  s.project = r.project;
  s.env = r.env;
  s.region = r.region;
  s.lineage = r.lineage;
  s.serial = r.serial;
  for (const auto& [address, doc] : r.resources.items()) {
    nlohmann::json full = doc;
    if (full.is_object()) full["address"] = address;
    auto rs = resourceStateFromJson(
        full, fmt::format("infra state {}/{}/{}: {}", r.project, r.env, r.region.empty() ? "global" : r.region,
                         address));
    if (!rs) return std::unexpected(rs.error());
    rs->address = address;
    s.resources.emplace(address, std::move(*rs));
  }
  return s;
}

InfraLease fromLease(const store::Lease& l) { return InfraLease{l.name, l.owner, l.epoch, l.expiresAt}; }

}  // namespace

Result<InfraState> StoreInfraStore::load(const std::string& project, const std::string& env,
                                         const std::string& region) {
  auto r = store_.getInfraState(project, env, region);
  if (!r) return std::unexpected(r.error());
  if (!r->has_value()) {
    InfraState s;
    s.project = project;
    s.env = env;
    s.region = region;
    return s;
  }
  return fromRecord(**r);
}

Result<std::map<std::string, InfraState>> StoreInfraStore::loadAll(const std::string& project,
                                                                   const std::string& env) {
  auto rs = store_.listInfraStates(project, env);
  if (!rs) return std::unexpected(rs.error());
  std::map<std::string, InfraState> out;
  for (const auto& r : *rs) {
    auto s = fromRecord(r);
    if (!s) return std::unexpected(s.error());
    out.emplace(r.region, std::move(*s));
  }
  return out;
}

Status StoreInfraStore::save(InfraState& s, int64_t expectedSerial) {
  store::InfraStateRecord r;
  r.project = s.project;
  r.env = s.env;
  r.region = s.region;
  r.lineage = s.lineage.empty() ? "lin-" + randomHex(8) : s.lineage;
  r.resources = nlohmann::json::object();
  for (const auto& [address, rs] : s.resources) {
    nlohmann::json doc = resourceStateJson(rs);
    doc.erase("address");
    r.resources[address] = std::move(doc);
  }
  r.updatedAt = toUnixMillis(clock_.now());
  if (auto st = store_.putInfraState(r, expectedSerial); !st) return st;
  s.lineage = r.lineage;
  s.serial = r.serial;
  return ok();
}

Result<int64_t> StoreInfraStore::appendJournal(const JournalEntry& e) {
  JournalEntry r = e;
  if (r.status.empty()) r.status = "intent";
  if (!r.at) r.at = toUnixMillis(clock_.now());
  return store_.appendInfraJournal(r);
}

Status StoreInfraStore::finishJournal(int64_t id, const std::string& status, const nlohmann::json& detail) {
  if (status != "done" && status != "failed") {
    return invalid(fmt::format("journal status must be done or failed, got '{}'", status), "status");
  }
  return store_.updateInfraJournal(id, status, detail, toUnixMillis(clock_.now()));
}

Result<std::vector<JournalEntry>> StoreInfraStore::openJournal(const std::string& project,
                                                               const std::string& env) {
  return store_.listInfraJournal(project, env, true);
}

Result<std::vector<JournalEntry>> StoreInfraStore::journalOf(const std::string& project, const std::string& env,
                                                             const std::string& applyId) {
  return store_.listInfraJournal(project, env, false, applyId);
}

Result<InfraLease> StoreInfraStore::acquireLease(const std::string& name, const std::string& owner,
                                                 int64_t ttlMs) {
  auto l = store_.acquireLease(name, owner, ttlMs, toUnixMillis(clock_.now()));
  if (!l) return std::unexpected(l.error());
  return fromLease(*l);
}

Result<InfraLease> StoreInfraStore::renewLease(const InfraLease& lease, int64_t ttlMs) {
  auto l = store_.renewLease(lease.name, lease.owner, lease.epoch, ttlMs, toUnixMillis(clock_.now()));
  if (!l) return std::unexpected(l.error());
  return fromLease(*l);
}

Status StoreInfraStore::releaseLease(const InfraLease& lease) {
  return store_.releaseLease(lease.name, lease.owner, lease.epoch);
}

Status StoreInfraStore::recordEvent(const std::string& kind, const std::string& actor, const std::string& env,
                                    const nlohmann::json& data) {
  store::AuditEventInput e;
  e.time = toUnixMillis(clock_.now());
  e.actor = actor.empty() ? "ramp" : actor;
  e.kind = kind;
  e.env = env;
  e.data = data;
  auto r = store_.appendEvent(e);
  if (!r) return std::unexpected(r.error());
  return ok();
}

}  // namespace ramp::infra
