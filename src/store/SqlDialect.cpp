#include "store/SqlDialect.h"

#include <utility>
#include <vector>

#include <fmt/format.h>

#include "store/Migrations.h"

namespace ramp::store {

namespace {

// One row per difference between the dialects, side by side: the
// SqlDialect field it sets, its marker in SQL text (none for the statements
// a transaction runs), and its value in SQLite and in PostgreSQL.
struct Difference {
  std::string SqlDialect::*field;
  std::string_view marker;
  std::string sqlite;
  std::string postgres;
};

const std::vector<Difference>& differences() {
  static const std::vector<Difference> table{
      {&SqlDialect::beginWrite, "", "BEGIN IMMEDIATE", "BEGIN"},
      // One appender at a time; readers are not blocked.
      {&SqlDialect::lockAuditAppend, "", "", "LOCK TABLE audit_events IN SHARE ROW EXCLUSIVE MODE"},
      // One writer at a time: numbering and "which one is in force" are
      // decided on what no one else is changing; readers are not blocked.
      {&SqlDialect::lockConfigVersions, "", "", "LOCK TABLE config_versions IN SHARE ROW EXCLUSIVE MODE"},
      {&SqlDialect::lockMigrations, "", "", fmt::format("SELECT pg_advisory_xact_lock({})", kMigrationLockKey)},
      {&SqlDialect::forUpdate, "{for_update}", "", " FOR UPDATE"},
      {&SqlDialect::forShare, "{for_share}", "", " FOR SHARE"},
      {&SqlDialect::binaryCollate, "{c}", "", " COLLATE \"C\""},
      {&SqlDialect::blobType, "{blob}", "BLOB", "BYTEA"},
      {&SqlDialect::autoIdType, "{autoid}", "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY"},
      {&SqlDialect::now, "{now}", "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))", "now()"},
  };
  return table;
}

// The dialect whose values are the column `value` of the table.
SqlDialect dialectOf(std::string name, std::string Difference::*value) {
  SqlDialect d;
  d.name = std::move(name);
  for (const Difference& row : differences()) d.*row.field = row.*value;
  return d;
}

}  // namespace

std::string SqlDialect::expand(std::string_view sql) const {
  std::string out;
  out.reserve(sql.size() + 32);
  size_t i = 0;
  while (i < sql.size()) {
    if (sql[i] == '{') {
      bool replaced = false;
      for (const Difference& row : differences()) {
        if (!row.marker.empty() && sql.substr(i, row.marker.size()) == row.marker) {
          out += this->*row.field;
          i += row.marker.size();
          replaced = true;
          break;
        }
      }
      if (replaced) continue;
    }
    out.push_back(sql[i++]);
  }
  return out;
}

const SqlDialect& SqlDialect::sqlite() {
  static const SqlDialect d = dialectOf("sqlite", &Difference::sqlite);
  return d;
}

const SqlDialect& SqlDialect::postgres() {
  static const SqlDialect d = dialectOf("postgresql", &Difference::postgres);
  return d;
}

}  // namespace ramp::store
