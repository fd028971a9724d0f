#include "AuditTestWorld.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

#include "core/Sha256.h"

namespace ramp::testing {

namespace fs = std::filesystem;

AuditTestWorld::AuditTestWorld(const std::string& name) {
  const char* base = std::getenv("RAMP_HOME");
  home = fs::path(base && *base ? base : "/tmp") / (name + "-" + randomHex(4));
  fs::create_directories(home);
  fs::permissions(home, fs::perms::owner_all);
  db = home / "ramp.db";
  reopen();
}

AuditTestWorld::~AuditTestWorld() {
  store.reset();
  std::error_code ec;
  fs::remove_all(home, ec);
}

void AuditTestWorld::reopen() {
  store.reset();
  auto s = store::openStore("sqlite://" + db.string());
  if (!s) throw std::runtime_error("cannot open store: " + s.error().describe());
  store = std::move(*s);
}

void AuditTestWorld::append(int n, const std::string& service, const std::string& env) {
  static const char* kinds[] = {"deployment.created", "deployment.phase", "traffic.set", "verdict",
                                "deployment.finished"};
  for (int i = 0; i < n; ++i) {
    store::AuditEventInput e;
    e.time = 1'700'000'000'000 + i * 1000;
    e.actor = i % 3 == 0 ? "alice" : "ramp";
    e.kind = kinds[i % 5];
    e.service = service;
    e.env = env;
    e.deploymentId = "d-test-" + std::to_string(i / 5);
    e.data = {{"step", i}, {"version", "1.4." + std::to_string(i)}, {"state", "running"}};
    auto r = store->appendEvent(e);
    if (!r) throw std::runtime_error("append failed: " + r.error().describe());
  }
}

std::string AuditTestWorld::sql(const std::string& statement) {
  sqlite3* h = nullptr;
  if (sqlite3_open(db.c_str(), &h) != SQLITE_OK) {
    std::string e = h ? sqlite3_errmsg(h) : "open failed";
    sqlite3_close(h);
    return e;
  }
  sqlite3_busy_timeout(h, 5000);
  char* err = nullptr;
  int rc = sqlite3_exec(h, statement.c_str(), nullptr, nullptr, &err);
  std::string out = rc == SQLITE_OK ? "" : (err ? err : "error");
  sqlite3_free(err);
  sqlite3_close(h);
  return out;
}

}  // namespace ramp::testing
