#include "store/Migrations.h"

#include <nlohmann/json.hpp>


namespace ramp::store {

const char* const kSqliteMigrationsTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
)sql";

const char* const kPostgresMigrationsTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
)sql";

namespace {

// Version 1: the core tables. JSON documents are kept as TEXT in both
// dialects so that what is read back is byte-for-byte what was written (the
// audit hash covers the canonical text of `data`).
const char* const kV1 = R"sql(
CREATE TABLE releases (
  service    TEXT   NOT NULL,
  version    TEXT   NOT NULL,
  digest     TEXT   NOT NULL,
  created_by TEXT   NOT NULL,
  created_at BIGINT NOT NULL,
  doc        TEXT   NOT NULL,
  PRIMARY KEY (service, version)
);

CREATE TABLE deployments (
  id         TEXT   PRIMARY KEY,
  service    TEXT   NOT NULL,
  env        TEXT   NOT NULL,
  state      TEXT   NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  revision   BIGINT NOT NULL,
  doc        TEXT   NOT NULL
);
CREATE INDEX deployments_by_service_env ON deployments (service, env, created_at);
CREATE INDEX deployments_by_state ON deployments (state);
CREATE INDEX deployments_by_created ON deployments (created_at);

CREATE TABLE fleets (
  id         TEXT   PRIMARY KEY,
  service    TEXT   NOT NULL,
  env        TEXT   NOT NULL,
  region     TEXT   NOT NULL,
  version    TEXT   NOT NULL,
  digest     TEXT   NOT NULL,
  state      TEXT   NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  revision   BIGINT NOT NULL,
  doc        TEXT   NOT NULL
);
CREATE INDEX fleets_by_service_env ON fleets (service, env, state);

CREATE TABLE leases (
  name       TEXT   PRIMARY KEY,
  owner      TEXT   NOT NULL,
  epoch      BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);

CREATE TABLE audit_events (
  seq           BIGINT PRIMARY KEY,
  time          BIGINT NOT NULL,
  actor         TEXT   NOT NULL,
  kind          TEXT   NOT NULL,
  service       TEXT   NOT NULL,
  env           TEXT   NOT NULL,
  deployment_id TEXT   NOT NULL,
  data          TEXT   NOT NULL,
  prev_hash     TEXT   NOT NULL,
  hash          TEXT   NOT NULL UNIQUE
);
CREATE INDEX audit_events_by_service_env ON audit_events (service, env, seq);
CREATE INDEX audit_events_by_deployment ON audit_events (deployment_id, seq);
CREATE INDEX audit_events_by_time ON audit_events (time);

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql";

// Version 2: identity. Users with roles per environment (JSON text
// {env|"*": [roles]}), and API tokens kept only as sha256 hashes.
// Nullable times (expires_at, revoked_at, last_used_at) are NULL when unset.
const char* const kV2 = R"sql(
CREATE TABLE users (
  name       TEXT   PRIMARY KEY,
  roles      TEXT   NOT NULL,
  created_at BIGINT NOT NULL,
  created_by TEXT   NOT NULL,
  disabled   BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE tokens (
  id           TEXT   PRIMARY KEY,
  user_name    TEXT   NOT NULL,
  name         TEXT   NOT NULL,
  sha256       TEXT   NOT NULL UNIQUE,
  created_at   BIGINT NOT NULL,
  expires_at   BIGINT,
  revoked_at   BIGINT,
  last_used_at BIGINT
);
CREATE INDEX tokens_by_user ON tokens (user_name, created_at);
)sql";

// Version 3: infrastructure as code. One state row per project × env ×
// region ("" = global) with a lineage fixed on first write and a serial that
// grows by one per write (writes are compare-and-swap on serial); and the
// apply journal: every intended change is recorded (status "intent") before
// its API call and marked "done"/"failed" after it.
const char* const kV3 = R"sql(
CREATE TABLE infra_state (
  project        TEXT   NOT NULL,
  env            TEXT   NOT NULL,
  region         TEXT   NOT NULL,
  lineage        TEXT   NOT NULL,
  serial         BIGINT NOT NULL,
  resources_json TEXT   NOT NULL,
  updated_at     BIGINT NOT NULL,
  PRIMARY KEY (project, env, region)
);

CREATE TABLE infra_journal (
  id           {autoid},
  apply_id     TEXT   NOT NULL,
  project      TEXT   NOT NULL,
  env          TEXT   NOT NULL,
  region       TEXT   NOT NULL,
  address      TEXT   NOT NULL,
  action       TEXT   NOT NULL,
  client_token TEXT   NOT NULL,
  status       TEXT   NOT NULL,
  detail_json  TEXT   NOT NULL,
  at           BIGINT NOT NULL
);
CREATE INDEX infra_journal_open ON infra_journal (project, env, status, id);
CREATE INDEX infra_journal_by_apply ON infra_journal (apply_id, id);
)sql";

// Version 4: the config of record (store/ConfigVersionStore.h). Every pushed
// version of the project's configuration; the fields the store decides on
// are columns, the rest (files, git state, message, approvals) one JSON
// document. At most one row is in force (the unique partial index).
const char* const kV4 = R"sql(
CREATE TABLE config_versions (
  version      BIGINT PRIMARY KEY,
  state        TEXT   NOT NULL,
  base_version BIGINT NOT NULL,
  digest       TEXT   NOT NULL,
  pushed_by    TEXT   NOT NULL,
  pushed_at    BIGINT NOT NULL,
  revision     BIGINT NOT NULL,
  updated_at   BIGINT NOT NULL,
  doc          TEXT   NOT NULL
);
CREATE UNIQUE INDEX config_versions_one_in_force ON config_versions (state) WHERE state = 'in_force';
CREATE INDEX config_versions_by_state ON config_versions (state, version);
)sql";

// Version 5: the alert outbox (OutboxStore.h). One row per destination of an
// alert, written with the audit event that causes it; the idempotency key
// a receiver deduplicates on is "<event_seq>-<destination_idx>"; alert_key
// ("<deployment>|<alert name>") keeps one alert of a kind per deployment.
const char* const kV5 = R"sql(
CREATE TABLE alert_outbox (
  id              {autoid},
  event_seq       BIGINT NOT NULL,
  destination_idx BIGINT NOT NULL,
  alert_key       TEXT   NOT NULL,
  name            TEXT   NOT NULL,
  destination     TEXT   NOT NULL,
  status          TEXT   NOT NULL,
  attempts        BIGINT NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  claim_epoch     BIGINT,
  last_error      TEXT   NOT NULL,
  created_at      BIGINT NOT NULL,
  settled_at      BIGINT,
  UNIQUE (event_seq, destination_idx),
  UNIQUE (alert_key, destination_idx)
);
CREATE INDEX alert_outbox_due ON alert_outbox (status, next_attempt_at, id);
)sql";

// Version 6: release contents in the store (ReleaseStore.h), so a
// controller on another host can rebuild any release: the bundle's digest
// and size, and its bytes in chunks.
const char* const kV6 = R"sql(
CREATE TABLE release_contents (
  service TEXT   NOT NULL,
  version TEXT   NOT NULL,
  sha256  TEXT   NOT NULL,
  bytes   BIGINT NOT NULL,
  chunks  BIGINT NOT NULL,
  PRIMARY KEY (service, version)
);

CREATE TABLE release_chunks (
  service TEXT   NOT NULL,
  version TEXT   NOT NULL,
  seq     BIGINT NOT NULL,
  data    {blob} NOT NULL,
  PRIMARY KEY (service, version, seq)
);
)sql";

// Version 7: the audit seal in its own row (AuditStore.h), with the id of
// the key that made it, moved out of the setting "audit_seal".
const char* const kV7 = R"sql(
CREATE TABLE audit_seal (
  id        BIGINT PRIMARY KEY CHECK (id = 1),
  events    BIGINT NOT NULL,
  head      TEXT   NOT NULL,
  mac       TEXT   NOT NULL,
  key_id    TEXT   NOT NULL,
  sealed_at BIGINT NOT NULL
);
)sql";

// Moves the setting "audit_seal" ({count, head, mac, time}) into the row; a
// setting that does not parse is left where it is (verify then reports the
// log as never sealed, which is what it can prove).
Status moveAuditSeal(SqlConnection& c) {
  auto r = c.run("SELECT value FROM settings WHERE key = 'audit_seal'", {});
  if (!r) return std::unexpected(r.error());
  if (r->empty()) return ok();
  auto j = nlohmann::json::parse(r->front().text(0), nullptr, false);
  if (!j.is_object() || !j.contains("count") || !j["count"].is_number_integer() || !j.contains("head") ||
      !j["head"].is_string() || !j.contains("mac") || !j["mac"].is_string()) {
    return ok();
  }
  auto ins = c.run("INSERT INTO audit_seal (id, events, head, mac, key_id, sealed_at) VALUES (1, ?1, ?2, ?3, '', ?4)",
                   {j["count"].get<int64_t>(), j["head"].get<std::string>(), j["mac"].get<std::string>(),
                    j.value("time", int64_t{0})});
  if (!ins) return std::unexpected(ins.error());
  auto del = c.run("DELETE FROM settings WHERE key = 'audit_seal'", {});
  if (!del) return std::unexpected(del.error());
  return ok();
}

// Version 8: provider routing in the store (ProviderStore.h), so that every
// controller of a shared store routes an environment to the same provider,
// and knows which site runs a local environment. Rows come from the homes'
// providers/*.json as each controller first starts (ProviderSet imports).
const char* const kV8 = R"sql(
CREATE TABLE provider_environments (
  service    TEXT   NOT NULL,
  env        TEXT   NOT NULL,
  provider   TEXT   NOT NULL,
  site       TEXT   NOT NULL,
  site_label TEXT   NOT NULL,
  settings   TEXT   NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (service, env)
);

CREATE TABLE fleet_placements (
  fleet_id   TEXT   PRIMARY KEY,
  provider   TEXT   NOT NULL,
  site       TEXT   NOT NULL,
  created_at BIGINT NOT NULL
);
)sql";

// Version 9: the region an aws fleet was created in (ProviderSet finds it
// there only: one environment's unreachable region never hides another's
// fleets). '' for local fleets and for rows written before.
const char* const kV9 = R"sql(
ALTER TABLE fleet_placements ADD COLUMN region TEXT NOT NULL DEFAULT '';
)sql";

// Version 10: what the engine keeps per entry point, one row each
// (TrafficStore.h), moved from the settings "url:NAME", "traffic:NAME",
// "stable:NAME" (NAME = service.env.region) and the JSON list "entrypoints".
const char* const kV10 = R"sql(
CREATE TABLE entrypoints (
  service        TEXT NOT NULL,
  env            TEXT NOT NULL,
  region         TEXT NOT NULL,
  url            TEXT NOT NULL DEFAULT '',
  traffic_plan   TEXT NOT NULL DEFAULT '{}',
  stable_fleet   TEXT NOT NULL DEFAULT '',
  stable_version TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (service, env, region)
);
)sql";

// The entry points the list names, each with its three settings (which are
// then deleted, with the list). A list that does not parse is left where it
// is and an entry without its three names is skipped (nothing reads them
// any more; the engine makes an entry point again at its next deployment).
// A stable setting of "" (`ramp down`) or one that does not parse means
// none; a plan that does not parse, no plan.
Status moveEntrypointSettings(SqlConnection& c) {
  auto list = c.run("SELECT value FROM settings WHERE key = 'entrypoints'", {});
  if (!list) return std::unexpected(list.error());
  if (list->empty()) return ok();
  auto all = nlohmann::json::parse(list->front().text(0), nullptr, false);
  if (!all.is_array()) return ok();
  auto setting = [&](const std::string& key) -> Result<std::string> {
    auto r = c.run("SELECT value FROM settings WHERE key = ?1", {key});
    if (!r) return std::unexpected(r.error());
    return r->empty() ? std::string() : r->front().text(0);
  };
  for (const auto& e : all) {
    if (!e.is_object() || !e.contains("service") || !e["service"].is_string() || !e.contains("env") ||
        !e["env"].is_string() || !e.contains("region") || !e["region"].is_string()) {
      continue;
    }
    const std::string service = e["service"], env = e["env"], region = e["region"];
    if (service.empty() || env.empty() || region.empty()) continue;
    const std::string name = service + "." + env + "." + region;
    auto url = setting("url:" + name);
    auto plan = setting("traffic:" + name);
    auto stable = setting("stable:" + name);
    if (!url) return std::unexpected(url.error());
    if (!plan) return std::unexpected(plan.error());
    if (!stable) return std::unexpected(stable.error());
    auto planJson = nlohmann::json::parse(*plan, nullptr, false);
    auto stableJson = nlohmann::json::parse(*stable, nullptr, false);
    std::string fleet, version;
    if (stableJson.is_object()) {
      fleet = stableJson.value("fleet", "");
      version = stableJson.value("version", "");
    }
    auto ins = c.run(
        "INSERT INTO entrypoints (service, env, region, url, traffic_plan, stable_fleet, stable_version) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (service, env, region) DO NOTHING",
        {service, env, region, *url, planJson.is_object() ? planJson.dump() : std::string("{}"), fleet, version});
    if (!ins) return std::unexpected(ins.error());
    for (const char* prefix : {"url:", "traffic:", "stable:"}) {
      auto del = c.run("DELETE FROM settings WHERE key = ?1", {std::string(prefix) + name});
      if (!del) return std::unexpected(del.error());
    }
  }
  auto del = c.run("DELETE FROM settings WHERE key = 'entrypoints'", {});
  if (!del) return std::unexpected(del.error());
  return ok();
}

}  // namespace

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> list = {
      {1, "core tables: releases, deployments, fleets, leases, audit_events, settings", kV1, kV1},
      {2, "identity: users, tokens", kV2, kV2},
      {3, "infrastructure as code: infra_state, infra_journal", kV3, kV3},
      {4, "config of record: config_versions", kV4, kV4},
      {5, "alert outbox: alert_outbox", kV5, kV5},
      {6, "release contents: release_contents, release_chunks", kV6, kV6},
      {7, "audit seal in its own table, with its key id (moved from settings)", kV7, kV7, moveAuditSeal},
      {8, "provider routing: provider_environments, fleet_placements", kV8, kV8},
      {9, "fleet placements: the aws region a fleet was made in", kV9, kV9},
      {10, "entry points: url, traffic plan, stable fleet (moved from settings)", kV10, kV10, moveEntrypointSettings},
  };
  return list;
}

int latestSchemaVersion() { return migrations().empty() ? 0 : migrations().back().version; }

}  // namespace ramp::store
