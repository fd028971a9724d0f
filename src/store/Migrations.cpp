#include "store/Migrations.h"

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
const char* const kV3Sqlite = R"sql(
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
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
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

const char* const kV3Postgres = R"sql(
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
  id           BIGSERIAL PRIMARY KEY,
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

}  // namespace

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> list = {
      {1, "core tables: releases, deployments, fleets, leases, audit_events, settings", kV1, kV1},
      {2, "identity: users, tokens", kV2, kV2},
      {3, "infrastructure as code: infra_state, infra_journal", kV3Sqlite, kV3Postgres},
      {4, "config of record: config_versions", kV4, kV4},
  };
  return list;
}

int latestSchemaVersion() { return migrations().empty() ? 0 : migrations().back().version; }

}  // namespace ramp::store
