#include "store/SqlDialect.h"

#include <array>
#include <utility>

#include <fmt/format.h>

#include "store/Migrations.h"

namespace ramp::store {

std::string SqlDialect::expand(std::string_view sql) const {
  const std::array<std::pair<std::string_view, const std::string*>, 6> markers{{
      {"{for_update}", &forUpdate},
      {"{for_share}", &forShare},
      {"{c}", &binaryCollate},
      {"{blob}", &blobType},
      {"{autoid}", &autoIdType},
      {"{now}", &now},
  }};
  std::string out;
  out.reserve(sql.size() + 32);
  size_t i = 0;
  while (i < sql.size()) {
    if (sql[i] == '{') {
      bool replaced = false;
      for (const auto& [marker, value] : markers) {
        if (sql.substr(i, marker.size()) == marker) {
          out += *value;
          i += marker.size();
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
  static const SqlDialect d{
      .name = "sqlite",
      .beginWrite = "BEGIN IMMEDIATE",
      .lockAuditAppend = "",
      .lockConfigVersions = "",
      .lockMigrations = "",
      .forUpdate = "",
      .forShare = "",
      .binaryCollate = "",
      .blobType = "BLOB",
      .autoIdType = "INTEGER PRIMARY KEY AUTOINCREMENT",
      .now = "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
  };
  return d;
}

const SqlDialect& SqlDialect::postgres() {
  static const SqlDialect d{
      .name = "postgresql",
      .beginWrite = "BEGIN",
      // One appender at a time; readers are not blocked.
      .lockAuditAppend = "LOCK TABLE audit_events IN SHARE ROW EXCLUSIVE MODE",
      // One writer at a time: numbering and "which one is in force" are
      // decided on what no one else is changing; readers are not blocked.
      .lockConfigVersions = "LOCK TABLE config_versions IN SHARE ROW EXCLUSIVE MODE",
      .lockMigrations = fmt::format("SELECT pg_advisory_xact_lock({})", kMigrationLockKey),
      .forUpdate = " FOR UPDATE",
      .forShare = " FOR SHARE",
      .binaryCollate = " COLLATE \"C\"",
      .blobType = "BYTEA",
      .autoIdType = "BIGSERIAL PRIMARY KEY",
      .now = "now()",
  };
  return d;
}

}  // namespace ramp::store
