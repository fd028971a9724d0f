// SqlDialect.h — the few places where SQLite and PostgreSQL SQL differ.
//
// The store's SQL is written once (SqlStore.cpp, Migrations.cpp) in the
// common subset of both: `?1, ?2, ...` placeholders, INSERT ... ON CONFLICT
// ... DO UPDATE/NOTHING (upsert), RETURNING, CASE/COALESCE. What differs is
// written as a marker that expand() replaces:
//
//   marker         SQLite                               PostgreSQL
//   {for_update}   "" (a write holds the database lock)  " FOR UPDATE"
//   {for_share}    ""                                    " FOR SHARE"
//   {c}            "" (BINARY is the default)            " COLLATE \"C\"" (byte order)
//   {blob}         BLOB                                  BYTEA
//   {autoid}       INTEGER PRIMARY KEY AUTOINCREMENT     BIGSERIAL PRIMARY KEY
//   {now}          strftime('%Y-%m-%dT%H:%M:%fZ','now')  now()
//
// Placeholders are rewritten by the PostgreSQL connection (?N -> $N, outside
// quoted literals); SQLite takes ?N as is. Besides the markers a dialect
// names how a write transaction starts (SQLite: BEGIN IMMEDIATE, so the
// write lock is taken before the first read of a read-check-write;
// PostgreSQL: BEGIN, READ COMMITTED, with row locks through {for_update})
// and the statements that serialise audit appends, config version writes
// (numbering MAX + 1, the one in force) and migrations across
// processes (PostgreSQL: LOCK TABLE / an advisory lock; SQLite: none needed).
#pragma once

#include <string>
#include <string_view>

namespace ramp::store {

struct SqlDialect {
  std::string name;              // "sqlite" | "postgresql" (Store::kind())
  std::string beginWrite;        // starts a write transaction
  std::string lockAuditAppend;   // run first in an audit append ("" = none)
  std::string lockConfigVersions;  // run first in a config version write ("" = none)
  std::string lockMigrations;    // run first in every migration transaction ("" = none)
  std::string forUpdate, forShare, binaryCollate, blobType, autoIdType, now;

  // The SQL text with every marker above replaced.
  std::string expand(std::string_view sql) const;

  static const SqlDialect& sqlite();
  static const SqlDialect& postgres();
};

}  // namespace ramp::store
