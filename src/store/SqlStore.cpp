#include "store/SqlStore.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/Sha256.h"
#include "store/AuditChain.h"
#include "store/ConfigVersionRows.h"
#include "store/IdentityRows.h"
#include "store/InfraRows.h"
#include "store/JsonText.h"
#include "store/LeaseRules.h"
#include "store/Migrations.h"
#include "store/RecordColumns.h"

namespace ramp::store {

namespace {

// Each record's columns in the order they are selected (RecordColumns.h).
const RecordColumns<ReleaseRecord> kReleaseColumns{
    {{"service", &ReleaseRecord::service},
     {"version", &ReleaseRecord::version},
     {"digest", &ReleaseRecord::digest},
     {"created_by", &ReleaseRecord::createdBy},
     {"created_at", &ReleaseRecord::createdAt},
     {"doc", &ReleaseRecord::doc}},
    [](const ReleaseRecord& r) { return "release " + r.service + "@" + r.version; }};

const RecordColumns<DeploymentRecord> kDeploymentColumns{
    {{"id", &DeploymentRecord::id},
     {"service", &DeploymentRecord::service},
     {"env", &DeploymentRecord::env},
     {"state", &DeploymentRecord::state},
     {"created_at", &DeploymentRecord::createdAt},
     {"updated_at", &DeploymentRecord::updatedAt},
     {"revision", &DeploymentRecord::revision},
     {"doc", &DeploymentRecord::doc}},
    [](const DeploymentRecord& d) { return "deployment " + d.id; }};

const RecordColumns<FleetRecord> kFleetColumns{
    {{"id", &FleetRecord::id},
     {"service", &FleetRecord::service},
     {"env", &FleetRecord::env},
     {"region", &FleetRecord::region},
     {"version", &FleetRecord::version},
     {"digest", &FleetRecord::digest},
     {"state", &FleetRecord::state},
     {"created_at", &FleetRecord::createdAt},
     {"updated_at", &FleetRecord::updatedAt},
     {"revision", &FleetRecord::revision},
     {"doc", &FleetRecord::doc}},
    [](const FleetRecord& f) { return "fleet " + f.id; }};

const RecordColumns<UserRecord> kUserColumns{
    {{"name", &UserRecord::name},
     {"roles", &UserRecord::roles},
     {"created_at", &UserRecord::createdAt},
     {"created_by", &UserRecord::createdBy},
     {"disabled", &UserRecord::disabled}},
    [](const UserRecord& u) { return "user " + u.name; }};

const RecordColumns<TokenRecord> kTokenColumns{
    {{"id", &TokenRecord::id},
     {"user_name", &TokenRecord::user},
     {"name", &TokenRecord::name},
     {"sha256", &TokenRecord::sha256},
     {"created_at", &TokenRecord::createdAt},
     {"expires_at", &TokenRecord::expiresAt},
     {"revoked_at", &TokenRecord::revokedAt},
     {"last_used_at", &TokenRecord::lastUsedAt}},
    [](const TokenRecord& t) { return "token " + t.id; }};

const RecordColumns<AuditEvent> kEventColumns{
    {{"seq", &AuditEvent::seq},
     {"time", &AuditEvent::time},
     {"actor", &AuditEvent::actor},
     {"kind", &AuditEvent::kind},
     {"service", &AuditEvent::service},
     {"env", &AuditEvent::env},
     {"deployment_id", &AuditEvent::deploymentId},
     {"data", &AuditEvent::data},
     {"prev_hash", &AuditEvent::prevHash},
     {"hash", &AuditEvent::hash}},
    [](const AuditEvent& e) { return fmt::format("audit event {}", e.seq); }};

const RecordColumns<InfraStateRecord> kInfraStateColumns{
    {{"project", &InfraStateRecord::project},
     {"env", &InfraStateRecord::env},
     {"region", &InfraStateRecord::region},
     {"lineage", &InfraStateRecord::lineage},
     {"serial", &InfraStateRecord::serial},
     {"resources_json", &InfraStateRecord::resources},
     {"updated_at", &InfraStateRecord::updatedAt}},
    [](const InfraStateRecord& r) { return "infra state " + r.project + "/" + r.env + "/" + r.region; }};

const RecordColumns<InfraJournalRecord> kInfraJournalColumns{
    {{"id", &InfraJournalRecord::id},
     {"apply_id", &InfraJournalRecord::applyId},
     {"project", &InfraJournalRecord::project},
     {"env", &InfraJournalRecord::env},
     {"region", &InfraJournalRecord::region},
     {"address", &InfraJournalRecord::address},
     {"action", &InfraJournalRecord::action},
     {"client_token", &InfraJournalRecord::clientToken},
     {"status", &InfraJournalRecord::status},
     {"detail_json", &InfraJournalRecord::detail},
     {"at", &InfraJournalRecord::at}},
    [](const InfraJournalRecord& e) { return fmt::format("infra journal entry {}", e.id); }};

const RecordColumns<OutboxAlert> kOutboxColumns{
    {{"id", &OutboxAlert::id},
     {"event_seq", &OutboxAlert::eventSeq},
     {"destination_idx", &OutboxAlert::index},
     {"name", &OutboxAlert::name},
     {"destination", &OutboxAlert::destination},
     {"status", &OutboxAlert::status},
     {"attempts", &OutboxAlert::attempts},
     {"next_attempt_at", &OutboxAlert::nextAttemptAt},
     {"last_error", &OutboxAlert::lastError},
     {"created_at", &OutboxAlert::createdAt},
     {"settled_at", &OutboxAlert::settledAt},
     {"claim_epoch", &OutboxAlert::claimEpoch}},
    [](const OutboxAlert& a) { return fmt::format("alert outbox row {}", a.id); }};

const RecordColumns<ProviderEnvironmentRecord> kProviderEnvironmentColumns{
    {{"service", &ProviderEnvironmentRecord::service},
     {"env", &ProviderEnvironmentRecord::env},
     {"provider", &ProviderEnvironmentRecord::provider},
     {"site", &ProviderEnvironmentRecord::site},
     {"site_label", &ProviderEnvironmentRecord::siteLabel},
     {"settings", &ProviderEnvironmentRecord::settings},
     {"updated_at", &ProviderEnvironmentRecord::updatedAt}},
    [](const ProviderEnvironmentRecord& r) { return "provider environment " + r.service + "/" + r.env; }};

// A row as a record of `columns`: the reader readRows and readAll take.
template <const auto& columns>
auto readBy(const SqlRow& row) {
  return columns.read(row);
}

// Every row of a result through `read`, or the first error.
template <class T>
Result<std::vector<T>> readAll(const SqlResult& r, Result<T> (*read)(const SqlRow&)) {
  std::vector<T> out;
  out.reserve(r.rows.size());
  for (const auto& row : r.rows) {
    auto x = read(row);
    if (!x) return std::unexpected(x.error());
    out.push_back(std::move(*x));
  }
  return out;
}

LeaseRow leaseRow(const SqlRow& row) { return LeaseRow{row.text(0), row.int64(1), row.int64(2)}; }

// An audit event that may be appended: kind and actor set, data encodable.
// Returns the data's text (what is stored and hashed).
Result<std::string> checkedEvent(const AuditEventInput& in) {
  if (in.kind.empty()) return invalid("audit event kind is empty", "kind");
  if (in.actor.empty()) return invalid("audit event actor is empty", "actor");
  if (in.alert) {
    if (in.alert->name.empty()) return invalid("the alert of a " + in.kind + " event has no name", "alert.name");
    if (!in.alert->destinations.is_array()) return invalid("must be an array", "alert.destinations");
    for (const auto& d : in.alert->destinations) {
      if (!d.is_object()) return invalid("every destination must be an object", "alert.destinations");
    }
    if (auto t = toJsonText(in.alert->destinations, "alert.destinations"); !t) return std::unexpected(t.error());
  }
  return toJsonText(in.data, "audit event " + in.kind + ": data");
}

std::string alertKeyOf(const AuditEvent& e, const std::string& name) {
  return (e.deploymentId.empty() ? "seq:" + std::to_string(e.seq) : e.deploymentId) + "|" + name;
}

Result<std::vector<std::string>> checkedEvents(const std::vector<AuditEventInput>& events) {
  std::vector<std::string> texts;
  texts.reserve(events.size());
  for (const auto& e : events) {
    auto t = checkedEvent(e);
    if (!t) return std::unexpected(t.error());
    texts.push_back(std::move(*t));
  }
  return texts;
}

// Narrows a "... WHERE <condition>" query to a service and an environment,
// where given, as the next numbered parameters.
void andServiceEnv(std::string& text, std::vector<SqlValue>& args, const std::optional<std::string>& service,
                   const std::optional<std::string>& env) {
  if (service) {
    args.emplace_back(*service);
    text += fmt::format(" AND service = ?{}", args.size());
  }
  if (env) {
    args.emplace_back(*env);
    text += fmt::format(" AND env = ?{}", args.size());
  }
}

// What insertDeployment and updateDeployment store besides the columns,
// checked before the transaction: the doc's text and the events' texts.
struct DeploymentTexts {
  std::string doc;
  std::vector<std::string> events;
};

Result<DeploymentTexts> checkedDeploymentWrite(const DeploymentRecord& d, const std::vector<AuditEventInput>& events) {
  if (d.id.empty()) return invalid("deployment id is empty", "id");
  auto doc = toJsonText(d.doc, "deployment " + d.id + ": doc");
  if (!doc) return std::unexpected(doc.error());
  auto texts = checkedEvents(events);
  if (!texts) return std::unexpected(texts.error());
  return DeploymentTexts{std::move(*doc), std::move(*texts)};
}

}  // namespace

// write()'s `solo`: its own transaction, never shared (SqlGroupCommit.h).
constexpr bool kSolo = true;

#define RAMP_SQL(var, ...)  \
  auto var = sql(db, __VA_ARGS__); \
  if (!var) return std::unexpected(var.error())

// ---------------------------------------------------------------- plumbing

SqlStore::SqlStore(std::unique_ptr<SqlConnection> writer, std::unique_ptr<SqlConnectionPool> readers,
                   WriteBatchLimits batch)
    : conn_(std::move(writer)),
      readers_(std::move(readers)),
      dialect_(conn_->dialect()),
      writer_(*conn_, mu_, batch) {}

WriteStats SqlStore::writerStats() const { return writer_.stats(); }

Result<SqlResult> SqlStore::sql(SqlConnection& db, std::string_view text, const std::vector<SqlValue>& params) {
  return db.run(dialect_.expand(text), params);
}

// Runs body(writer) in a write transaction through the group commit
// (SqlGroupCommit.h): inside its own savepoint of a transaction shared with
// the writes queued at the same time, or alone when `solo`. Returns the
// body's result once it is committed (or rolled back, when it failed), or
// the error that kept the transaction from committing.
template <class Body>
auto SqlStore::write(Body&& body, bool solo) -> decltype(body(std::declval<SqlConnection&>())) {
  using R = decltype(body(std::declval<SqlConnection&>()));
  std::optional<R> result;
  const SqlGroupCommit::Body run = [&](SqlConnection& db) {
    result.emplace(body(db));
    return result->has_value();
  };
  if (auto st = writer_.run(run, solo); !st) return std::unexpected(st.error());
  return std::move(*result);
}

// Runs body(connection) outside an explicit transaction: on a read
// connection of the pool (never waiting for the writer's mutex), or, for a
// store without a pool, on the writer under its mutex.
template <class Body>
auto SqlStore::read(Body&& body) -> decltype(body(std::declval<SqlConnection&>())) {
  if (!readers_) {
    std::lock_guard lock(mu_);
    if (auto st = conn_->ready(); !st) return std::unexpected(st.error());
    return body(*conn_);
  }
  auto lease = readers_->acquire();
  if (!lease) return std::unexpected(lease.error());
  if (auto st = (*lease)->ready(); !st) return std::unexpected(st.error());
  return body(**lease);
}

// Every row the query `text` returns, on a read connection, through `readRow`.
template <class T>
Result<std::vector<T>> SqlStore::readRows(std::string_view text, const std::vector<SqlValue>& params,
                                          Result<T> (*readRow)(const SqlRow&)) {
  return read([&](SqlConnection& db) -> Result<std::vector<T>> {
    RAMP_SQL(r, text, params);
    return readAll(*r, readRow);
  });
}

Status SqlStore::checkFence(SqlConnection& db, const std::optional<Fence>& fence) {
  if (!fence) return ok();
  RAMP_SQL(r, "SELECT owner, epoch, expires_at FROM leases WHERE name = ?1{for_share}", {fence->lease});
  std::optional<LeaseRow> row;
  if (!r->empty()) row = leaseRow(r->front());
  return store::checkFence(*fence, row);
}

Status SqlStore::staleRevision(SqlConnection& db, std::string_view table, std::string_view noun,
                               const std::string& id, int64_t basedOn) {
  const std::string where = fmt::format("{} {}", noun, id);
  RAMP_SQL(sel, fmt::format("SELECT revision FROM {} WHERE id = ?1", table), {id});
  if (sel->empty()) return notFound("no " + where, where);
  return conflict(fmt::format("{} was changed by someone else: it is at revision {}, this update was based on "
                              "revision {}",
                              where, sel->front().int64(0), basedOn),
                  where);
}

// ---------------------------------------------------------------- migrations

Status SqlStore::migrate() {
  const std::string table = dialect_.name == "sqlite" ? kSqliteMigrationsTable : kPostgresMigrationsTable;
  for (const Migration& m : migrations()) {
    auto st = write([&](SqlConnection& db) -> Status {
      if (!dialect_.lockMigrations.empty()) {
        if (auto t = db.script(dialect_.lockMigrations, "taking the migration lock"); !t) return t;
      }
      if (auto t = db.script(table, "creating schema_migrations"); !t) return t;
      RAMP_SQL(mx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
      int64_t current = mx->front().int64(0);
      if (current > latestSchemaVersion()) {
        return failedPrecondition(fmt::format("database schema version {} is newer than this ramp knows ({}); "
                                              "upgrade ramp",
                                              current, latestSchemaVersion()),
                                  db.where());
      }
      RAMP_SQL(has, "SELECT 1 FROM schema_migrations WHERE version = ?1", {int64_t{m.version}});
      if (!has->empty()) return ok();
      const std::string& text = dialect_.name == "sqlite" ? m.sqlite : m.postgres;
      if (auto t = db.script(dialect_.expand(text), fmt::format("migration {} ({})", m.version, m.name)); !t) {
        return t;
      }
      if (m.data) {
        if (auto d = m.data(db); !d) {
          Error e = d.error();
          e.message = fmt::format("migration {} ({}): {}", m.version, m.name, e.message);
          return std::unexpected(e);
        }
      }
      RAMP_SQL(ins, "INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)", {int64_t{m.version}, m.name});
      return ok();
    }, kSolo);
    if (!st) return st;
  }
  return ok();
}

Result<int> SqlStore::schemaVersion() {
  return read([&](SqlConnection& db) -> Result<int> {
    const char* exists = dialect_.name == "sqlite"
                             ? "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
                             : "SELECT 1 WHERE to_regclass('schema_migrations') IS NOT NULL";
    RAMP_SQL(t, exists);
    if (t->empty()) return 0;
    RAMP_SQL(mx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    return static_cast<int>(mx->front().int64(0));
  });
}

// ---------------------------------------------------------------- releases

Status SqlStore::putRelease(const ReleaseRecord& r) {
  if (r.service.empty()) return invalid("release service is empty", "service");
  if (r.version.empty()) return invalid("release version is empty", "version");
  if (r.digest.empty()) return invalid("release digest is empty", "digest");
  auto doc = toJsonText(r.doc, "doc");
  if (!doc) return std::unexpected(doc.error());
  return write([&](SqlConnection& db) -> Status {
    RAMP_SQL(ins,
             fmt::format("INSERT INTO releases ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                         "ON CONFLICT (service, version) DO NOTHING",
                         kReleaseColumns.names()),
             {r.service, r.version, r.digest, r.createdBy, r.createdAt, *doc});
    if (ins->changes == 1) return ok();
    RAMP_SQL(sel, "SELECT digest FROM releases WHERE service = ?1 AND version = ?2", {r.service, r.version});
    if (sel->empty()) return internal("release vanished during putRelease");
    std::string existing = sel->front().text(0);
    if (existing == r.digest) return ok();
    return conflict(fmt::format("release {} {} already exists with digest {}; releases are "
                                "immutable (refusing digest {})",
                                r.service, r.version, existing, r.digest),
                    "release " + r.service + "@" + r.version);
  });
}

Result<ReleaseRecord> SqlStore::getRelease(const std::string& service, const std::string& version) {
  return read([&](SqlConnection& db) -> Result<ReleaseRecord> {
    RAMP_SQL(r, fmt::format("SELECT {} FROM releases WHERE service = ?1 AND version = ?2", kReleaseColumns.names()),
             {service, version});
    if (r->empty()) {
      return notFound(fmt::format("no release {} {}", service, version), "release " + service + "@" + version);
    }
    return kReleaseColumns.read(r->front());
  });
}

Result<std::vector<ReleaseRecord>> SqlStore::listReleases(const std::optional<std::string>& service) {
  std::string text = fmt::format("SELECT {} FROM releases", kReleaseColumns.names());
  std::vector<SqlValue> args;
  if (service) {
    text += " WHERE service = ?1";
    args.emplace_back(*service);
  }
  text += " ORDER BY service{c}, created_at, version{c}";
  return readRows(text, args, readBy<kReleaseColumns>);
}

Status SqlStore::putReleaseContent(const std::string& service, const std::string& version,
                                   const std::string& sha256, std::string_view bytes) {
  const std::string where = "release " + service + "@" + version;
  if (sha256.size() != 64) return invalid("the content digest must be 64 hex characters", "sha256");
  if (std::string actual = sha256Hex(bytes); actual != sha256) {
    return invalid(fmt::format("the content's sha256 is {}, not the {} given", actual, sha256), where);
  }
  return write([&](SqlConnection& db) -> Status {
    RAMP_SQL(rel, "SELECT 1 FROM releases WHERE service = ?1 AND version = ?2", {service, version});
    if (rel->empty()) return notFound(fmt::format("no release {} {}", service, version), where);
    RAMP_SQL(have, "SELECT sha256 FROM release_contents WHERE service = ?1 AND version = ?2", {service, version});
    if (!have->empty()) {
      std::string existing = have->front().text(0);
      if (existing == sha256) return ok();
      return conflict(fmt::format("release {} {} already has content sha256 {}; contents are immutable "
                                  "(refusing sha256 {})",
                                  service, version, existing, sha256),
                      where);
    }
    int64_t chunks = 0;
    size_t at = 0;
    do {  // an empty bundle is one empty chunk
      std::string_view part = bytes.substr(at, kReleaseChunkBytes);
      RAMP_SQL(chunk, "INSERT INTO release_chunks (service, version, seq, data) VALUES (?1, ?2, ?3, ?4)",
               {service, version, chunks, SqlBlob{std::string(part)}});
      ++chunks;
      at += part.size();
    } while (at < bytes.size());
    RAMP_SQL(ins, "INSERT INTO release_contents (service, version, sha256, bytes, chunks) VALUES (?1, ?2, ?3, ?4, ?5)",
             {service, version, sha256, static_cast<int64_t>(bytes.size()), chunks});
    return ok();
  });
}

Result<std::optional<ReleaseContent>> SqlStore::getReleaseContent(const std::string& service,
                                                                   const std::string& version) {
  const std::string where = "release " + service + "@" + version;
  // Contents are written whole in one transaction and never change: the
  // two reads agree.
  return read([&](SqlConnection& db) -> Result<std::optional<ReleaseContent>> {
    RAMP_SQL(head, "SELECT sha256, bytes, chunks FROM release_contents WHERE service = ?1 AND version = ?2",
             {service, version});
    if (head->empty()) return std::optional<ReleaseContent>();
    ReleaseContent c;
    c.sha256 = head->front().text(0);
    const int64_t size = head->front().int64(1);
    const int64_t chunks = head->front().int64(2);
    RAMP_SQL(parts, "SELECT seq, data FROM release_chunks WHERE service = ?1 AND version = ?2 ORDER BY seq",
             {service, version});
    c.bytes.reserve(static_cast<size_t>(std::max<int64_t>(size, 0)));
    int64_t expect = 0;
    for (const auto& row : parts->rows) {
      if (row.int64(0) != expect++) break;
      c.bytes += row.text(1);
    }
    std::string actual = sha256Hex(c.bytes);
    if (expect != chunks || static_cast<int64_t>(c.bytes.size()) != size || actual != c.sha256) {
      return failedPrecondition(fmt::format("the release content in the store is damaged: recorded sha256 {} "
                                            "({} bytes in {} chunks), found sha256 {} ({} bytes in {} chunks)",
                                            c.sha256, size, chunks, actual, c.bytes.size(), parts->rows.size()),
                                where);
    }
    return std::optional<ReleaseContent>(std::move(c));
  });
}

// ---------------------------------------------------------------- deployments

Status SqlStore::insertDeployment(DeploymentRecord& d, const std::optional<Fence>& fence,
                                  const std::vector<AuditEventInput>& events) {
  auto texts = checkedDeploymentWrite(d, events);
  if (!texts) return std::unexpected(texts.error());
  return write([&](SqlConnection& db) -> Status {
    if (auto f = checkFence(db, fence); !f) return f;
    RAMP_SQL(ins,
             fmt::format("INSERT INTO deployments ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7) "
                         "ON CONFLICT (id) DO NOTHING",
                         kDeploymentColumns.names()),
             {d.id, d.service, d.env, d.state, d.createdAt, d.updatedAt, texts->doc});
    if (ins->changes != 1) return conflict(fmt::format("deployment {} already exists", d.id), "deployment " + d.id);
    if (auto a = appendEventsIn(db, events, texts->events); !a) return a;
    d.revision = 1;
    return ok();
  });
}

Status SqlStore::updateDeployment(DeploymentRecord& d, const std::optional<Fence>& fence,
                                  const std::vector<AuditEventInput>& events) {
  auto texts = checkedDeploymentWrite(d, events);
  if (!texts) return std::unexpected(texts.error());
  return write([&](SqlConnection& db) -> Status {
    if (auto f = checkFence(db, fence); !f) return f;
    RAMP_SQL(up,
             "UPDATE deployments SET service = ?2, env = ?3, state = ?4, updated_at = ?5, "
             "doc = ?6, revision = revision + 1 WHERE id = ?1 AND revision = ?7",
             {d.id, d.service, d.env, d.state, d.updatedAt, texts->doc, d.revision});
    if (up->changes == 1) {
      if (auto a = appendEventsIn(db, events, texts->events); !a) return a;
      ++d.revision;
      return ok();
    }
    return staleRevision(db, "deployments", "deployment", d.id, d.revision);
  });
}

Result<DeploymentRecord> SqlStore::getDeployment(const std::string& id) {
  return read([&](SqlConnection& db) -> Result<DeploymentRecord> {
    RAMP_SQL(r, fmt::format("SELECT {} FROM deployments WHERE id = ?1", kDeploymentColumns.names()), {id});
    if (r->empty()) return notFound(fmt::format("no deployment {}", id), "deployment " + id);
    return kDeploymentColumns.read(r->front());
  });
}

Result<std::vector<DeploymentRecord>> SqlStore::listDeployments(const DeploymentFilter& f) {
  if (f.limit <= 0) return invalid(fmt::format("limit must be positive, got {}", f.limit), "limit");
  std::string text = fmt::format("SELECT {} FROM deployments WHERE 1 = 1", kDeploymentColumns.names());
  std::vector<SqlValue> args;
  andServiceEnv(text, args, f.service, f.env);
  if (f.activeOnly) text += " AND state IN ('queued', 'running', 'paused', 'awaiting_approval')";
  args.emplace_back(int64_t{f.limit});
  text += fmt::format(" ORDER BY created_at DESC, id{{c}} DESC LIMIT ?{}", args.size());
  return readRows(text, args, readBy<kDeploymentColumns>);
}

// ---------------------------------------------------------------- fleets

Status SqlStore::putFleet(FleetRecord& f, const std::optional<Fence>& fence) {
  if (f.id.empty()) return invalid("fleet id is empty", "id");
  if (f.revision < 0) return invalid(fmt::format("fleet {}: negative revision {}", f.id, f.revision), "revision");
  auto doc = toJsonText(f.doc, "fleet " + f.id + ": doc");
  if (!doc) return std::unexpected(doc.error());
  return write([&](SqlConnection& db) -> Status {
    if (auto fc = checkFence(db, fence); !fc) return fc;
    if (f.revision == 0) {
      RAMP_SQL(ins,
               fmt::format("INSERT INTO fleets ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10) "
                           "ON CONFLICT (id) DO NOTHING",
                           kFleetColumns.names()),
               {f.id, f.service, f.env, f.region, f.version, f.digest, f.state, f.createdAt, f.updatedAt, *doc});
      if (ins->changes != 1) {
        return conflict(fmt::format("fleet {} already exists (insert with revision 0)", f.id), "fleet " + f.id);
      }
      f.revision = 1;
      return ok();
    }
    RAMP_SQL(up,
             "UPDATE fleets SET service = ?2, env = ?3, region = ?4, version = ?5, digest = ?6, "
             "state = ?7, updated_at = ?8, doc = ?9, revision = revision + 1 "
             "WHERE id = ?1 AND revision = ?10",
             {f.id, f.service, f.env, f.region, f.version, f.digest, f.state, f.updatedAt, *doc, f.revision});
    if (up->changes == 1) {
      ++f.revision;
      return ok();
    }
    return staleRevision(db, "fleets", "fleet", f.id, f.revision);
  });
}

Result<FleetRecord> SqlStore::getFleet(const std::string& id) {
  return read([&](SqlConnection& db) -> Result<FleetRecord> {
    RAMP_SQL(r, fmt::format("SELECT {} FROM fleets WHERE id = ?1", kFleetColumns.names()), {id});
    if (r->empty()) return notFound(fmt::format("no fleet {}", id), "fleet " + id);
    return kFleetColumns.read(r->front());
  });
}

Result<std::vector<FleetRecord>> SqlStore::listFleets(const std::optional<std::string>& service,
                                                      const std::optional<std::string>& env, bool includeRetired) {
  std::string text = fmt::format("SELECT {} FROM fleets WHERE 1 = 1", kFleetColumns.names());
  std::vector<SqlValue> args;
  andServiceEnv(text, args, service, env);
  if (!includeRetired) text += " AND state <> 'retired'";
  text += " ORDER BY created_at, id{c}";
  return readRows(text, args, readBy<kFleetColumns>);
}

// ---------------------------------------------------------------- leases

Result<Lease> SqlStore::acquireLease(const std::string& name, const std::string& owner, int64_t ttlMs,
                                     int64_t now) {
  if (auto v = validateLeaseRequest(name, owner, ttlMs); !v) return std::unexpected(v.error());
  return write([&](SqlConnection& db) -> Result<Lease> {
    // A fresh lease gets a free row first, so that there is a row to lock.
    RAMP_SQL(ins, "INSERT INTO leases (name, owner, epoch, expires_at) VALUES (?1, '', 0, 0) "
                  "ON CONFLICT (name) DO NOTHING",
             {name});
    RAMP_SQL(sel, "SELECT owner, epoch, expires_at FROM leases WHERE name = ?1{for_update}", {name});
    if (sel->empty()) return internal("lease row vanished during acquire");
    auto next = decideAcquire(name, leaseRow(sel->front()), owner, ttlMs, now);
    if (!next) return next;
    RAMP_SQL(up, "UPDATE leases SET owner = ?2, epoch = ?3, expires_at = ?4 WHERE name = ?1",
             {name, next->owner, next->epoch, next->expiresAt});
    return next;
  }, kSolo);
}

Result<Lease> SqlStore::renewLease(const std::string& name, const std::string& owner, int64_t epoch, int64_t ttlMs,
                                   int64_t now) {
  if (auto v = validateLeaseRequest(name, owner, ttlMs); !v) return std::unexpected(v.error());
  return write([&](SqlConnection& db) -> Result<Lease> {
    RAMP_SQL(sel, "SELECT owner, epoch, expires_at FROM leases WHERE name = ?1{for_update}", {name});
    std::optional<LeaseRow> row;
    if (!sel->empty()) row = leaseRow(sel->front());
    auto next = decideRenew(name, row, owner, epoch, ttlMs, now);
    if (!next) return next;
    RAMP_SQL(up, "UPDATE leases SET expires_at = ?2 WHERE name = ?1", {name, next->expiresAt});
    return next;
  }, kSolo);
}

Status SqlStore::releaseLease(const std::string& name, const std::string& owner, int64_t epoch) {
  return write([&](SqlConnection& db) -> Status {
    RAMP_SQL(up,
             "UPDATE leases SET owner = '', expires_at = 0 "
             "WHERE name = ?1 AND owner = ?2 AND epoch = ?3 AND owner <> ''",
             {name, owner, epoch});
    return ok();
  }, kSolo);
}

Result<std::optional<Lease>> SqlStore::getLease(const std::string& name) {
  return read([&](SqlConnection& db) -> Result<std::optional<Lease>> {
    RAMP_SQL(sel, "SELECT owner, epoch, expires_at FROM leases WHERE name = ?1", {name});
    if (sel->empty() || sel->front().text(0).empty()) return std::optional<Lease>();
    LeaseRow row = leaseRow(sel->front());
    return std::optional<Lease>(Lease{name, row.owner, row.epoch, row.expiresAt});
  });
}

// ---------------------------------------------------------------- audit

Result<AuditEvent> SqlStore::appendEventIn(SqlConnection& db, const AuditEventInput& in, const std::string& dataText) {
  AuditEvent e;
  static_cast<AuditEventInput&>(e) = in;
  auto reparsed = fromJsonText(dataText, "audit event data");
  if (!reparsed) return std::unexpected(reparsed.error());
  e.data = std::move(*reparsed);  // exactly what readers will see and hash
  if (!dialect_.lockAuditAppend.empty()) {
    if (auto l = db.script(dialect_.lockAuditAppend, "locking the audit chain"); !l) {
      return std::unexpected(l.error());
    }
  }
  RAMP_SQL(head, "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1");
  if (!head->empty()) {
    e.seq = head->front().int64(0) + 1;
    e.prevHash = head->front().text(1);
  } else {
    e.seq = 1;
    e.prevHash = kGenesisHash;
  }
  e.hash = hashOf(e);
  RAMP_SQL(ins, fmt::format("INSERT INTO audit_events ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", kEventColumns.names()),
           {e.seq, e.time, e.actor, e.kind, e.service, e.env, e.deploymentId, dataText, e.prevHash, e.hash});
  // The alert it causes, in the same transaction (OutboxStore.h).
  if (in.alert) {
    for (size_t i = 0; i < in.alert->destinations.size(); ++i) {
      auto dest = toJsonText(in.alert->destinations[i], "alert.destinations");
      if (!dest) return std::unexpected(dest.error());
      // One alert of a kind per deployment (its first event that causes it).
      RAMP_SQL(out,
               "INSERT INTO alert_outbox (event_seq, destination_idx, alert_key, name, destination, status, attempts, "
               "next_attempt_at, last_error, created_at) VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?6, '', ?6) "
               "ON CONFLICT (alert_key, destination_idx) DO NOTHING",
               {e.seq, static_cast<int64_t>(i), alertKeyOf(e, in.alert->name), in.alert->name, *dest, e.time});
    }
  }
  e.alert.reset();
  return e;
}

Status SqlStore::appendEventsIn(SqlConnection& db, const std::vector<AuditEventInput>& events, const std::vector<std::string>& texts) {
  for (size_t i = 0; i < events.size(); ++i) {
    auto e = appendEventIn(db, events[i], texts[i]);
    if (!e) return std::unexpected(e.error());
  }
  return ok();
}

Result<AuditEvent> SqlStore::appendEvent(const AuditEventInput& in) {
  auto data = checkedEvent(in);
  if (!data) return std::unexpected(data.error());
  return write([&](SqlConnection& db) -> Result<AuditEvent> { return appendEventIn(db, in, *data); });
}

Result<std::vector<AuditEvent>> SqlStore::listEvents(const AuditFilter& f) {
  if (f.limit <= 0) return invalid(fmt::format("limit must be positive, got {}", f.limit), "limit");
  std::string text = fmt::format("SELECT {} FROM audit_events WHERE 1 = 1", kEventColumns.names());
  std::vector<SqlValue> args;
  auto cond = [&](const std::string& col, const char* op, SqlValue v) {
    args.push_back(std::move(v));
    text += fmt::format(" AND {} {} ?{}", col, op, args.size());
  };
  if (f.service) cond("service", "=", *f.service);
  if (f.env) cond("env", "=", *f.env);
  if (f.deploymentId) cond("deployment_id", "=", *f.deploymentId);
  if (f.sinceTime) cond("time", ">=", *f.sinceTime);
  if (f.afterSeq) cond("seq", ">", *f.afterSeq);
  if (f.beforeSeq) cond("seq", "<", *f.beforeSeq);
  // substr(text, 1, n) reads the same in SQLite and PostgreSQL; n counts
  // characters in both (UTF-8: the bytes that do not continue one).
  if (f.kindPrefix) {
    auto chars = std::count_if(f.kindPrefix->begin(), f.kindPrefix->end(),
                               [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
    cond(fmt::format("substr(kind, 1, {})", chars), "=", *f.kindPrefix);
  }
  if (f.actor) cond("actor", "=", *f.actor);
  args.emplace_back(int64_t{f.limit});
  text += fmt::format(" ORDER BY seq{} LIMIT ?{}", f.newestFirst ? " DESC" : "", args.size());
  return readRows(text, args, readBy<kEventColumns>);
}

Result<std::optional<AuditSealRecord>> SqlStore::getAuditSeal() {
  return read([&](SqlConnection& db) -> Result<std::optional<AuditSealRecord>> {
    RAMP_SQL(r, "SELECT events, head, mac, key_id, sealed_at FROM audit_seal WHERE id = 1");
    if (r->empty()) return std::optional<AuditSealRecord>();
    const auto& row = r->front();
    return std::optional<AuditSealRecord>(
        AuditSealRecord{row.int64(0), row.text(1), row.text(2), row.text(3), row.int64(4)});
  });
}

Status SqlStore::putAuditSeal(const AuditSealRecord& s) {
  if (s.count < 0) return invalid(fmt::format("seal count must be >= 0, got {}", s.count), "count");
  if (s.head.empty()) return invalid("seal head is empty", "head");
  if (s.mac.empty()) return invalid("seal mac is empty", "mac");
  return write([&](SqlConnection& db) -> Status {
    RAMP_SQL(cur, "SELECT events, head FROM audit_seal WHERE id = 1{for_update}");
    if (!cur->empty()) {
      int64_t count = cur->front().int64(0);
      if (count > s.count || (count == s.count && cur->front().text(1) != s.head)) {
        return conflict(fmt::format("the stored seal covers {} events; a seal of {} events {} it", count, s.count,
                                    count > s.count ? "would move back over" : "with another head would replace"),
                        "audit seal");
      }
    }
    RAMP_SQL(up,
             "INSERT INTO audit_seal (id, events, head, mac, key_id, sealed_at) VALUES (1, ?1, ?2, ?3, ?4, ?5) "
             "ON CONFLICT (id) DO UPDATE SET events = excluded.events, head = excluded.head, mac = excluded.mac, "
             "key_id = excluded.key_id, sealed_at = excluded.sealed_at",
             {s.count, s.head, s.mac, s.keyId, s.time});
    return ok();
  });
}

// ---------------------------------------------------------------- alert outbox

Result<std::vector<OutboxAlert>> SqlStore::claimDueAlerts(int64_t now, int64_t claimUntil, int64_t claimer,
                                                          int limit) {
  if (limit <= 0) return invalid(fmt::format("limit must be positive, got {}", limit), "limit");
  if (claimUntil < now) return invalid("the claim must not end before now", "claimUntil");
  return write([&](SqlConnection& db) -> Result<std::vector<OutboxAlert>> {
    RAMP_SQL(due,
             fmt::format("SELECT {} FROM alert_outbox WHERE status = 'pending' AND (next_attempt_at <= ?1 OR "
                         "(claim_epoch IS NOT NULL AND claim_epoch < ?2)) ORDER BY id LIMIT ?3{{for_update}}",
                         kOutboxColumns.names()),
             {now, claimer, int64_t{limit}});
    auto alerts = readAll(*due, readBy<kOutboxColumns>);
    if (!alerts) return alerts;
    for (auto& a : *alerts) {
      RAMP_SQL(claim, "UPDATE alert_outbox SET next_attempt_at = ?2, claim_epoch = ?3 WHERE id = ?1",
               {a.id, claimUntil, claimer});
      a.nextAttemptAt = claimUntil;
      a.claimEpoch = claimer;
    }
    return alerts;
  });
}

Result<bool> SqlStore::settleAlert(int64_t id, const AlertAttempt& attempt, const std::optional<AuditEventInput>& event) {
  std::optional<std::string> data;
  if (event) {
    auto d = checkedEvent(*event);
    if (!d) return std::unexpected(d.error());
    data = std::move(*d);
  }
  return write([&](SqlConnection& db) -> Result<bool> {
    Result<SqlResult> up = std::unexpected(Error{});
    switch (attempt.outcome) {
      case AlertAttempt::Outcome::kSent:
      case AlertAttempt::Outcome::kFailed:
        up = sql(db, "UPDATE alert_outbox SET status = ?2, attempts = attempts + 1, last_error = ?3, settled_at = ?4, "
                 "claim_epoch = NULL WHERE id = ?1 AND status = 'pending'",
                 {id, std::string(attempt.outcome == AlertAttempt::Outcome::kSent ? "sent" : "failed"), attempt.error,
                  attempt.at});
        break;
      case AlertAttempt::Outcome::kRetry:
        up = sql(db, "UPDATE alert_outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3, "
                 "claim_epoch = NULL WHERE id = ?1 AND status = 'pending'",
                 {id, attempt.error, attempt.retryAt});
        break;
    }
    if (!up) return std::unexpected(up.error());
    if (up->changes == 0) {
      RAMP_SQL(has, "SELECT 1 FROM alert_outbox WHERE id = ?1", {id});
      if (has->empty()) return notFound(fmt::format("no alert {} in the outbox", id), "alert");
      return false;
    }
    if (event) {
      auto e = appendEventIn(db, *event, *data);
      if (!e) return std::unexpected(e.error());
    }
    return true;
  });
}

Result<std::vector<OutboxAlert>> SqlStore::listAlerts(const std::optional<int64_t>& eventSeq, int limit) {
  if (limit <= 0) return invalid(fmt::format("limit must be positive, got {}", limit), "limit");
  std::string text = fmt::format("SELECT {} FROM alert_outbox", kOutboxColumns.names());
  std::vector<SqlValue> args;
  if (eventSeq) {
    text += " WHERE event_seq = ?1";
    args.emplace_back(*eventSeq);
  }
  args.emplace_back(int64_t{limit});
  text += fmt::format(" ORDER BY id DESC LIMIT ?{}", args.size());
  return readRows(text, args, readBy<kOutboxColumns>);
}

// ---------------------------------------------------------------- users, tokens

Status SqlStore::putUser(const UserRecord& u) {
  if (auto c = checkUserRecord(u); !c) return c;
  auto roles = toJsonText(u.roles, "user " + u.name);
  if (!roles) return std::unexpected(roles.error());
  return write([&](SqlConnection& db) -> Status {
    RAMP_SQL(r,
             fmt::format("INSERT INTO users ({}) VALUES (?1, ?2, ?3, ?4, ?5) "
                         "ON CONFLICT (name) DO UPDATE SET roles = excluded.roles, disabled = excluded.disabled",
                         kUserColumns.names()),
             {u.name, *roles, u.createdAt, u.createdBy, int64_t{u.disabled ? 1 : 0}});
    return ok();
  });
}

Result<UserRecord> SqlStore::getUser(const std::string& name) {
  return read([&](SqlConnection& db) -> Result<UserRecord> {
    RAMP_SQL(r, fmt::format("SELECT {} FROM users WHERE name = ?1", kUserColumns.names()), {name});
    if (r->empty()) return notFound("no user " + name, "user");
    return kUserColumns.read(r->front());
  });
}

Result<std::vector<UserRecord>> SqlStore::listUsers() {
  return readRows(fmt::format("SELECT {} FROM users ORDER BY name{{c}}", kUserColumns.names()), {}, readBy<kUserColumns>);
}

Status SqlStore::insertToken(const TokenRecord& t) {
  if (auto c = checkTokenRecord(t); !c) return c;
  return write([&](SqlConnection& db) -> Status {
    auto r = sql(db, fmt::format("INSERT INTO tokens ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", kTokenColumns.names()),
                 {t.id, t.user, t.name, t.sha256, t.createdAt, sqlOpt(t.expiresAt), sqlOpt(t.revokedAt),
                  sqlOpt(t.lastUsedAt)});
    if (!r) {
      if (r.error().code == ErrorCode::kConflict) {
        return conflict("a token with this id or this hash already exists", "token " + t.id);
      }
      return std::unexpected(r.error());
    }
    return ok();
  });
}

Result<TokenRecord> SqlStore::findTokenBySha256(const std::string& sha256) {
  return read([&](SqlConnection& db) -> Result<TokenRecord> {
    RAMP_SQL(r, fmt::format("SELECT {} FROM tokens WHERE sha256 = ?1", kTokenColumns.names()), {sha256});
    if (r->empty()) return notFound("unknown token", "token");
    return kTokenColumns.read(r->front());
  });
}

Result<std::vector<TokenRecord>> SqlStore::listTokens(const std::optional<std::string>& user) {
  std::string text = fmt::format("SELECT {} FROM tokens", kTokenColumns.names());
  std::vector<SqlValue> args;
  if (user) {
    text += " WHERE user_name = ?1";
    args.emplace_back(*user);
  }
  text += " ORDER BY created_at, id{c}";
  return readRows(text, args, readBy<kTokenColumns>);
}

Result<TokenRecord> SqlStore::revokeToken(const std::string& id, int64_t now) {
  return write([&](SqlConnection& db) -> Result<TokenRecord> {
    RAMP_SQL(up, "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL", {id, now});
    RAMP_SQL(r, fmt::format("SELECT {} FROM tokens WHERE id = ?1", kTokenColumns.names()), {id});
    if (r->empty()) return notFound("no token " + id, "id");
    return kTokenColumns.read(r->front());
  });
}

Status SqlStore::touchToken(const std::string& id, int64_t at) {
  return write([&](SqlConnection& db) -> Status {
    RAMP_SQL(up,
             "UPDATE tokens SET last_used_at = ?2 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)",
             {id, at});
    RAMP_SQL(q, "SELECT 1 FROM tokens WHERE id = ?1", {id});
    if (q->empty()) return notFound("no token " + id, "id");
    return ok();
  });
}

// ---------------------------------------------------------------- infrastructure

Result<std::optional<InfraStateRecord>> SqlStore::getInfraState(const std::string& project, const std::string& env,
                                                                const std::string& region) {
  return read([&](SqlConnection& db) -> Result<std::optional<InfraStateRecord>> {
    RAMP_SQL(r, fmt::format("SELECT {} FROM infra_state WHERE project = ?1 AND env = ?2 AND region = ?3",
                            kInfraStateColumns.names()),
             {project, env, region});
    if (r->empty()) return std::optional<InfraStateRecord>();
    auto x = kInfraStateColumns.read(r->front());
    if (!x) return std::unexpected(x.error());
    return std::optional<InfraStateRecord>(std::move(*x));
  });
}

Status SqlStore::putInfraState(InfraStateRecord& rec, int64_t expectedSerial) {
  if (auto c = checkInfraStateWrite(rec, expectedSerial); !c) return c;
  auto doc = toJsonText(rec.resources, "infra state " + rec.project + "/" + rec.env + "/" + rec.region + ": resources");
  if (!doc) return std::unexpected(doc.error());
  return write([&](SqlConnection& db) -> Status {
    RAMP_SQL(sel,
             "SELECT lineage, serial FROM infra_state WHERE project = ?1 AND env = ?2 AND region = ?3{for_update}",
             {rec.project, rec.env, rec.region});
    std::optional<std::pair<std::string, int64_t>> current;
    if (!sel->empty()) current = std::make_pair(sel->front().text(0), sel->front().int64(1));
    if (auto c = decideInfraStateWrite(rec, expectedSerial, current); !c) return c;
    const int64_t next = expectedSerial + 1;
    if (!current) {
      RAMP_SQL(ins,
               fmt::format("INSERT INTO infra_state ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                           "ON CONFLICT (project, env, region) DO NOTHING",
                           kInfraStateColumns.names()),
               {rec.project, rec.env, rec.region, rec.lineage, next, *doc, rec.updatedAt});
      if (ins->changes != 1) {
        return conflict("state was written by someone else at the same time (expected no state yet)",
                        fmt::format("infra state {}/{}/{}", rec.project, rec.env,
                                    rec.region.empty() ? "global" : rec.region));
      }
    } else {
      RAMP_SQL(up,
               "UPDATE infra_state SET serial = ?4, resources_json = ?5, updated_at = ?6 "
               "WHERE project = ?1 AND env = ?2 AND region = ?3",
               {rec.project, rec.env, rec.region, next, *doc, rec.updatedAt});
    }
    rec.serial = next;
    return ok();
  });
}

Result<std::vector<InfraStateRecord>> SqlStore::listInfraStates(const std::string& project, const std::string& env) {
  return readRows(
      fmt::format("SELECT {} FROM infra_state WHERE project = ?1 AND env = ?2 ORDER BY region{{c}}", kInfraStateColumns.names()),
      {project, env}, readBy<kInfraStateColumns>);
}

Result<int64_t> SqlStore::appendInfraJournal(const InfraJournalRecord& e) {
  if (auto c = checkInfraJournalEntry(e); !c) return std::unexpected(c.error());
  auto doc = toJsonText(e.detail, "infra journal " + e.address + ": detail");
  if (!doc) return std::unexpected(doc.error());
  return write([&](SqlConnection& db) -> Result<int64_t> {
    RAMP_SQL(ins,
             "INSERT INTO infra_journal (apply_id, project, env, region, address, action, client_token, "
             "status, detail_json, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
             {e.applyId, e.project, e.env, e.region, e.address, e.action, e.clientToken, e.status, *doc, e.at});
    if (ins->empty()) return internal("infra journal insert returned no id");
    return ins->front().int64(0);
  });
}

Status SqlStore::updateInfraJournal(int64_t id, const std::string& status, const Json& detail, int64_t at) {
  if (status.empty()) return invalid("infra journal status is empty", "status");
  auto doc = toJsonText(detail, fmt::format("infra journal entry {}: detail", id));
  if (!doc) return std::unexpected(doc.error());
  return write([&](SqlConnection& db) -> Status {
    RAMP_SQL(up, "UPDATE infra_journal SET status = ?2, detail_json = ?3, at = ?4 WHERE id = ?1",
             {id, status, *doc, at});
    if (up->changes != 1) {
      return notFound(fmt::format("no infra journal entry {}", id), fmt::format("infra journal {}", id));
    }
    return ok();
  });
}

Result<std::vector<InfraJournalRecord>> SqlStore::listInfraJournal(const std::string& project,
                                                                   const std::string& env, bool openOnly,
                                                                   const std::optional<std::string>& applyId) {
  std::string text = fmt::format("SELECT {} FROM infra_journal WHERE project = ?1 AND env = ?2", kInfraJournalColumns.names());
  std::vector<SqlValue> args{project, env};
  if (openOnly) text += " AND status = 'intent'";
  if (applyId) {
    text += " AND apply_id = ?3";
    args.emplace_back(*applyId);
  }
  text += " ORDER BY id";
  return readRows(text, args, readBy<kInfraJournalColumns>);
}

// ---------------------------------------------------------------- provider routing

namespace {

Status checkProvider(const std::string& provider, const std::string& site) {
  if (provider != "local" && provider != "aws") {
    return invalid("provider must be local or aws, got '" + provider + "'", "provider");
  }
  if (provider == "local" && site.empty()) return invalid("a local environment needs its site", "site");
  return ok();
}

Result<FleetPlacementRecord> readFleetPlacement(const SqlRow& row) {
  return FleetPlacementRecord{row.text(0), row.text(1), row.text(2), row.int64(3), row.text(4)};
}

}  // namespace

Status SqlStore::putProviderEnvironment(const ProviderEnvironmentRecord& r) {
  if (r.service.empty()) return invalid("provider environment service is empty", "service");
  if (r.env.empty()) return invalid("provider environment env is empty", "env");
  if (auto c = checkProvider(r.provider, r.site); !c) return c;
  auto settings = toJsonText(r.settings, "provider environment " + r.service + "/" + r.env + ": settings");
  if (!settings) return std::unexpected(settings.error());
  return write([&](SqlConnection& db) -> Status {
    RAMP_SQL(cur, "SELECT provider, site, site_label FROM provider_environments WHERE service = ?1 AND env = ?2{for_update}",
             {r.service, r.env});
    if (!cur->empty() && cur->front().text(0) == "local" && r.provider == "local" && cur->front().text(1) != r.site) {
      return conflict(fmt::format("local environment {} of {} runs at {} (site {}), not at {} (site {}): its fleets and "
                                  "router are processes there",
                                  r.env, r.service, cur->front().text(2), cur->front().text(1), r.siteLabel, r.site),
                      "env");
    }
    RAMP_SQL(up,
             "INSERT INTO provider_environments (service, env, provider, site, site_label, settings, updated_at) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (service, env) DO UPDATE SET provider = excluded.provider, "
             "site = excluded.site, site_label = excluded.site_label, settings = excluded.settings, "
             "updated_at = excluded.updated_at",
             {r.service, r.env, r.provider, r.site, r.siteLabel, *settings, r.updatedAt});
    return ok();
  });
}

Result<std::vector<ProviderEnvironmentRecord>> SqlStore::listProviderEnvironments() {
  return readRows(fmt::format("SELECT {} FROM provider_environments ORDER BY service{{c}}, env{{c}}",
                              kProviderEnvironmentColumns.names()),
                  {}, readBy<kProviderEnvironmentColumns>);
}

Status SqlStore::putFleetPlacement(const FleetPlacementRecord& r) {
  if (r.fleetId.empty()) return invalid("fleet id is empty", "fleet");
  if (auto c = checkProvider(r.provider, r.site); !c) return c;
  return write([&](SqlConnection& db) -> Status {
    RAMP_SQL(ins,
             "INSERT INTO fleet_placements (fleet_id, provider, site, created_at, region) VALUES (?1, ?2, ?3, ?4, ?5) "
             "ON CONFLICT (fleet_id) DO NOTHING",
             {r.fleetId, r.provider, r.site, r.createdAt, r.region});
    if (ins->changes == 1) return ok();
    RAMP_SQL(cur, "SELECT provider, site, region FROM fleet_placements WHERE fleet_id = ?1{for_update}", {r.fleetId});
    if (cur->empty()) return internal("fleet placement vanished");
    const auto& row = cur->front();
    if (row.text(0) == r.provider && row.text(1) == r.site) {
      if (row.text(2) == r.region || r.region.empty()) return ok();
      if (row.text(2).empty()) {
        // Recorded before regions were: filled in, never changed.
        RAMP_SQL(up, "UPDATE fleet_placements SET region = ?2 WHERE fleet_id = ?1 AND region = ''",
                 {r.fleetId, r.region});
        return ok();
      }
    }
    return conflict(fmt::format("fleet {} was made by {} at site '{}' in region '{}', not {} at site '{}' in region "
                                "'{}': a fleet never moves",
                                r.fleetId, row.text(0), row.text(1), row.text(2), r.provider, r.site, r.region),
                    "fleet " + r.fleetId);
  });
}

Result<std::optional<FleetPlacementRecord>> SqlStore::getFleetPlacement(const std::string& fleetId) {
  return read([&](SqlConnection& db) -> Result<std::optional<FleetPlacementRecord>> {
    RAMP_SQL(r, "SELECT fleet_id, provider, site, created_at, region FROM fleet_placements WHERE fleet_id = ?1",
             {fleetId});
    if (r->empty()) return std::optional<FleetPlacementRecord>();
    return std::optional<FleetPlacementRecord>(*readFleetPlacement(r->front()));
  });
}

Result<std::vector<FleetPlacementRecord>> SqlStore::listFleetPlacements() {
  return readRows("SELECT fleet_id, provider, site, created_at, region FROM fleet_placements ORDER BY fleet_id{c}",
                  {}, readFleetPlacement);
}

// ---------------------------------------------------------------- entry points

namespace {

Status checkEntrypointKey(const EntrypointKey& key) {
  if (key.service.empty()) return invalid("entry point service is empty", "service");
  if (key.env.empty()) return invalid("entry point env is empty", "env");
  if (key.region.empty()) return invalid("entry point region is empty", "region");
  return ok();
}

std::vector<SqlValue> keyValues(const EntrypointKey& key) { return {key.service, key.env, key.region}; }

// service, env, region, url, traffic_plan, stable_fleet, stable_version
Result<EntrypointRecord> readEntrypoint(const SqlRow& row) {
  EntrypointRecord r{{row.text(0), row.text(1), row.text(2)}, row.text(3), Json::object(), row.text(5), row.text(6)};
  auto plan = fromJsonText(row.text(4), "traffic plan of " + r.key.service + "." + r.key.env + "." + r.key.region);
  if (!plan) return std::unexpected(plan.error());
  r.trafficPlan = std::move(*plan);
  return r;
}

}  // namespace

Status SqlStore::upsertEntrypoint(const EntrypointKey& key, const std::vector<std::pair<std::string, SqlValue>>& columns,
                                  const std::optional<Fence>& fence, const std::vector<AuditEventInput>& events) {
  if (auto c = checkEntrypointKey(key); !c) return c;
  auto texts = checkedEvents(events);
  if (!texts) return std::unexpected(texts.error());
  // The row's named columns (names from this file only), made on first write.
  std::string names, params, sets;
  auto values = keyValues(key);
  for (const auto& [name, value] : columns) {
    values.push_back(value);
    names += ", " + name;
    params += fmt::format(", ?{}", values.size());
    sets += fmt::format("{}{} = excluded.{}", sets.empty() ? "" : ", ", name, name);
  }
  const std::string text = fmt::format(
      "INSERT INTO entrypoints (service, env, region{}) VALUES (?1, ?2, ?3{}) "
      "ON CONFLICT (service, env, region) DO UPDATE SET {}",
      names, params, sets);
  return write([&](SqlConnection& db) -> Status {
    if (auto f = checkFence(db, fence); !f) return f;
    RAMP_SQL(r, text, values);
    return appendEventsIn(db, events, *texts);
  });
}

Status SqlStore::putEntrypointUrl(const EntrypointKey& key, const std::string& url, const std::optional<Fence>& fence) {
  return upsertEntrypoint(key, {{"url", url}}, fence);
}

Status SqlStore::putTrafficPlan(const EntrypointKey& key, const Json& plan, const std::optional<Fence>& fence,
                                const std::vector<AuditEventInput>& events) {
  if (auto c = checkEntrypointKey(key); !c) return c;
  if (!plan.is_object()) return invalid("a traffic plan is a JSON object", "plan");
  auto text = toJsonText(plan, "traffic plan of " + key.service + "." + key.env + "." + key.region);
  if (!text) return std::unexpected(text.error());
  return upsertEntrypoint(key, {{"traffic_plan", *text}}, fence, events);
}

Status SqlStore::putStableFleet(const EntrypointKey& key, const std::string& fleet, const std::string& version,
                                const std::optional<Fence>& fence) {
  return upsertEntrypoint(key, {{"stable_fleet", fleet}, {"stable_version", version}}, fence);
}

Result<std::optional<EntrypointRecord>> SqlStore::getEntrypoint(const EntrypointKey& key) {
  return read([&](SqlConnection& db) -> Result<std::optional<EntrypointRecord>> {
    RAMP_SQL(r,
             "SELECT service, env, region, url, traffic_plan, stable_fleet, stable_version FROM entrypoints "
             "WHERE service = ?1 AND env = ?2 AND region = ?3",
             keyValues(key));
    if (r->empty()) return std::optional<EntrypointRecord>();
    auto e = readEntrypoint(r->front());
    if (!e) return std::unexpected(e.error());
    return std::optional<EntrypointRecord>(std::move(*e));
  });
}

Result<std::vector<EntrypointRecord>> SqlStore::listEntrypoints() {
  return read([&](SqlConnection& db) -> Result<std::vector<EntrypointRecord>> {
    RAMP_SQL(r,
             "SELECT service, env, region, url, traffic_plan, stable_fleet, stable_version FROM entrypoints "
             "ORDER BY service{c}, env{c}, region{c}");
    return readAll(*r, readEntrypoint);
  });
}

// ---------------------------------------------------------------- settings

Result<std::optional<std::string>> SqlStore::getSetting(const std::string& key) {
  return read([&](SqlConnection& db) -> Result<std::optional<std::string>> {
    RAMP_SQL(r, "SELECT value FROM settings WHERE key = ?1", {key});
    if (r->empty()) return std::optional<std::string>();
    return std::optional<std::string>(r->front().text(0));
  });
}

Status SqlStore::putSetting(const std::string& key, const std::string& value, const std::optional<Fence>& fence) {
  if (key.empty()) return invalid("setting key is empty", "key");
  return write([&](SqlConnection& db) -> Status {
    if (auto f = checkFence(db, fence); !f) return f;
    RAMP_SQL(r,
             "INSERT INTO settings (key, value) VALUES (?1, ?2) "
             "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
             {key, value});
    return ok();
  });
}

Result<std::string> SqlStore::putSettingIfAbsent(const std::string& key, const std::string& value) {
  if (key.empty()) return invalid("setting key is empty", "key");
  return write([&](SqlConnection& db) -> Result<std::string> {
    RAMP_SQL(ins, "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING", {key, value});
    RAMP_SQL(sel, "SELECT value FROM settings WHERE key = ?1", {key});
    if (sel->empty()) return internal("setting vanished during putSettingIfAbsent");
    return sel->front().text(0);
  });
}

// ---------------------------------------------------------------- config of record

namespace {

Result<ConfigVersionRecord> readConfigVersion(const SqlRow& row) {
  ConfigVersionRecord r;
  r.version = row.int64(0);
  r.state = row.text(1);
  r.baseVersion = row.int64(2);
  r.digest = row.text(3);
  r.pushedBy = row.text(4);
  r.pushedAt = row.int64(5);
  r.revision = row.int64(6);
  r.updatedAt = row.int64(7);
  auto doc = fromJsonText(row.text(8), fmt::format("config version {}", r.version));
  if (!doc) return std::unexpected(doc.error());
  if (auto a = applyDoc(r, *doc); !a) return std::unexpected(a.error());
  return r;
}

}  // namespace

Result<int64_t> SqlStore::lockedConfigVersionInForce(SqlConnection& db) {
  if (!dialect_.lockConfigVersions.empty()) {
    if (auto l = db.script(dialect_.lockConfigVersions, "locking config_versions"); !l) {
      return std::unexpected(l.error());
    }
  }
  RAMP_SQL(cur, "SELECT version FROM config_versions WHERE state = 'in_force'");
  return cur->empty() ? int64_t{0} : cur->front().int64(0);
}

Status SqlStore::supersedeFor(SqlConnection& db, const ConfigVersionRecord& r, int64_t inForce) {
  if (r.state != "in_force" || inForce == 0) return ok();
  RAMP_SQL(up, "UPDATE config_versions SET state = 'superseded', updated_at = ?2 WHERE version = ?1",
           {inForce, r.updatedAt});
  return ok();
}

Status SqlStore::appendConfigVersion(ConfigVersionRecord& r) {
  if (auto c = checkConfigVersion(r); !c) return c;
  auto doc = toJsonText(docOf(r), "config version");
  if (!doc) return std::unexpected(doc.error());
  return write([&](SqlConnection& db) -> Status {
    auto inForce = lockedConfigVersionInForce(db);
    if (!inForce) return std::unexpected(inForce.error());
    RAMP_SQL(mx, "SELECT COALESCE(MAX(version), 0) + 1 FROM config_versions");
    int64_t next = mx->front().int64(0);
    if (auto d = decideAppend(r, *inForce); !d) return d;
    if (auto s = supersedeFor(db, r, *inForce); !s) return s;
    RAMP_SQL(ins,
             fmt::format("INSERT INTO config_versions ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8)",
                         kConfigVersionCols),
             {next, r.state, r.baseVersion, r.digest, r.pushedBy, r.pushedAt, r.updatedAt, *doc});
    r.version = next;
    r.revision = 1;
    return ok();
  });
}

Status SqlStore::updateConfigVersion(ConfigVersionRecord& r) {
  if (auto c = checkConfigVersion(r); !c) return c;
  auto doc = toJsonText(docOf(r), fmt::format("config version {}", r.version));
  if (!doc) return std::unexpected(doc.error());
  return write([&](SqlConnection& db) -> Status {
    auto inForce = lockedConfigVersionInForce(db);
    if (!inForce) return std::unexpected(inForce.error());
    RAMP_SQL(sel, "SELECT state, revision FROM config_versions WHERE version = ?1", {r.version});
    if (sel->empty()) return notFound(fmt::format("no config version {}", r.version), "version");
    int64_t revision = sel->front().int64(1);
    if (auto d = decideUpdate(r, sel->front().text(0), revision, *inForce); !d) return d;
    if (auto s = supersedeFor(db, r, *inForce); !s) return s;
    RAMP_SQL(up,
             "UPDATE config_versions SET state = ?2, revision = revision + 1, updated_at = ?3, doc = ?4 "
             "WHERE version = ?1",
             {r.version, r.state, r.updatedAt, *doc});
    r.revision = revision + 1;
    return ok();
  });
}

Result<ConfigVersionRecord> SqlStore::getConfigVersion(int64_t version) {
  return read([&](SqlConnection& db) -> Result<ConfigVersionRecord> {
    RAMP_SQL(r, fmt::format("SELECT {} FROM config_versions WHERE version = ?1", kConfigVersionCols), {version});
    if (r->empty()) return notFound(fmt::format("no config version {}", version), "version");
    return readConfigVersion(r->front());
  });
}

Result<std::optional<ConfigVersionRecord>> SqlStore::configVersionInForce() {
  return read([&](SqlConnection& db) -> Result<std::optional<ConfigVersionRecord>> {
    RAMP_SQL(r, fmt::format("SELECT {} FROM config_versions WHERE state = 'in_force'", kConfigVersionCols));
    if (r->empty()) return std::optional<ConfigVersionRecord>();
    auto x = readConfigVersion(r->front());
    if (!x) return std::unexpected(x.error());
    return std::optional<ConfigVersionRecord>(std::move(*x));
  });
}

Result<std::vector<ConfigVersionRecord>> SqlStore::listConfigVersions(const std::vector<std::string>& states,
                                                                      int limit) {
  std::string text = fmt::format("SELECT {} FROM config_versions", kConfigVersionCols);
  std::vector<SqlValue> args;
  if (!states.empty()) {
    std::string in;
    for (const auto& s : states) {
      args.emplace_back(s);
      in += fmt::format("{}?{}", in.empty() ? "" : ", ", args.size());
    }
    text += " WHERE state IN (" + in + ")";
  }
  args.emplace_back(int64_t{std::max(limit, 0)});
  text += fmt::format(" ORDER BY version DESC LIMIT ?{}", args.size());
  return readRows(text, args, readConfigVersion);
}

}  // namespace ramp::store
