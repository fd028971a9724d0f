// Migrations.h — the versioned schema of the store, shared by both dialects.
//
// Migrations are numbered 1, 2, ... and never edited once released: a schema
// change is a new migration appended to the list. Each carries its SQL for
// SQLite and for PostgreSQL (the same text where the dialects agree; from
// version 3 on one text with SqlDialect.h markers), and optionally a data
// step that moves existing rows into the new tables. The
// stores apply them on open (Store::migrate), each pending migration in its
// own transaction together with its row in `schema_migrations`, under a lock
// that makes concurrent openers take turns (SQLite: BEGIN IMMEDIATE;
// PostgreSQL: pg_advisory_xact_lock(kMigrationLockKey)). Applying is
// idempotent: a migration whose version is already recorded is skipped. A
// database whose recorded version is newer than latestSchemaVersion() is
// refused (an older ramp must not write a newer schema).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/Result.h"
#include "store/SqlConnection.h"

namespace ramp::store {

struct Migration {
  int version = 0;
  std::string name;
  std::string sqlite;    // one or more statements (SqlDialect markers allowed)
  std::string postgres;  // one or more statements (the same text where the dialects agree)
  // Moves existing rows after the DDL, in the same transaction (nullptr = none).
  Status (*data)(SqlConnection& connection) = nullptr;
};

// All migrations, in version order.
const std::vector<Migration>& migrations();
int latestSchemaVersion();

// DDL of the bookkeeping table, run (idempotently) before the migrations.
extern const char* const kSqliteMigrationsTable;
extern const char* const kPostgresMigrationsTable;

// Key of the PostgreSQL advisory lock taken while migrating ("rampmigr").
inline constexpr int64_t kMigrationLockKey = 0x72616d706d696772;

}  // namespace ramp::store
