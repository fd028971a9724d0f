// AuditTestWorld.h — a home with a real SQLite store for the audit tests, and
// raw SQL on its file for tampering (what an attacker with file access does).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "store/Store.h"

namespace ramp::testing {

class AuditTestWorld {
 public:
  // A fresh directory below $RAMP_HOME (or /tmp) named after `name`.
  explicit AuditTestWorld(const std::string& name);
  ~AuditTestWorld();

  std::filesystem::path home;
  std::filesystem::path db;  // home/ramp.db
  std::unique_ptr<store::Store> store;

  // Appends `n` events (kinds cycling through deployment.* and traffic.set).
  void append(int n, const std::string& service = "crawler", const std::string& env = "prod");
  // Runs SQL on the database file through the sqlite3 C API; "" on success,
  // else the error.
  std::string sql(const std::string& statement);
  // Closes and reopens the store (so nothing cached hides a tampering).
  void reopen();
};

}  // namespace ramp::testing
