// `ramp audit`, `ramp audit seal` and `ramp audit verify` through $RAMP_BIN on
// a world with no controller (the local path: the home's store read
// directly; `audit seal` names --store, the operator's offline path — without
// it the seal goes through the controller, tests/controller/ApiInputTest): exit 0 on an intact log, 1 naming the first broken event after
// tampering with the SQLite file; bad flags named.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "AuditTestWorld.h"

namespace ramp {
namespace {

using nlohmann::json;
using testing::AuditTestWorld;

struct Run {
  int code = -1;
  std::string out;  // stdout and stderr
};

Run ramp(const AuditTestWorld& w, const std::string& args) {
  const char* bin = std::getenv("RAMP_BIN");
  EXPECT_NE(bin, nullptr) << "RAMP_BIN is not set";
  std::string cmd = std::string(bin ? bin : "ramp") + " --home '" + w.home.string() + "' " + args + " 2>&1";
  Run r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int st = ::pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

TEST(AuditCliTest, VerifyPassesThenNamesTheTamperedEvent) {
  AuditTestWorld w("cli");
  w.append(8);
  auto seal = ramp(w, "audit seal --store sqlite://" + w.db.string());
  ASSERT_EQ(seal.code, 0) << seal.out;
  auto good = ramp(w, "audit verify");
  EXPECT_EQ(good.code, 0) << good.out;
  EXPECT_NE(good.out.find("intact: 8 events"), std::string::npos) << good.out;

  ASSERT_EQ(w.sql("UPDATE audit_events SET data = '{\"step\":99}' WHERE seq = 5"), "");
  auto bad = ramp(w, "audit verify");
  EXPECT_EQ(bad.code, 1) << bad.out;
  EXPECT_NE(bad.out.find("first broken event: seq 5"), std::string::npos) << bad.out;

  auto js = ramp(w, "audit verify --json");
  EXPECT_EQ(js.code, 1) << js.out;
  auto j = json::parse(js.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << js.out;
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["first_broken_seq"], 5);
}

TEST(AuditCliTest, VerifyCatchesTruncationThroughTheSeal) {
  AuditTestWorld w("cli-trunc");
  w.append(6);
  ASSERT_EQ(ramp(w, "audit seal --store sqlite://" + w.db.string()).code, 0);
  ASSERT_EQ(w.sql("DELETE FROM audit_events WHERE seq >= 5"), "");
  auto bad = ramp(w, "audit verify --json");
  EXPECT_EQ(bad.code, 1) << bad.out;
  auto j = json::parse(bad.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << bad.out;
  EXPECT_EQ(j["chain_ok"], true);
  EXPECT_EQ(j["seal_ok"], false);
  EXPECT_EQ(j["first_broken_seq"], 5);
  EXPECT_EQ(j["sealed_count"], 6);
}

TEST(AuditCliTest, ListsAndFilters) {
  AuditTestWorld w("cli-list");
  w.append(4, "crawler", "prod");
  w.append(2, "indexer", "int");
  auto all = ramp(w, "audit --json");
  ASSERT_EQ(all.code, 0) << all.out;
  auto j = json::parse(all.out, nullptr, false);
  ASSERT_TRUE(j.is_array()) << all.out;
  EXPECT_EQ(j.size(), 6u);
  auto some = ramp(w, "audit --service indexer --json");
  ASSERT_EQ(some.code, 0) << some.out;
  j = json::parse(some.out, nullptr, false);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["service"], "indexer");
  auto table = ramp(w, "audit --env prod");
  ASSERT_EQ(table.code, 0) << table.out;
  EXPECT_NE(table.out.find("SEQ"), std::string::npos);
  EXPECT_NE(table.out.find("crawler/prod"), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("indexer"), std::string::npos) << table.out;
  // Since: the events are at 1700000000000 + i*1000 ms.
  auto since = ramp(w, "audit --since 2023-11-14T22:13:22Z --json");
  ASSERT_EQ(since.code, 0) << since.out;
  j = json::parse(since.out, nullptr, false);
  ASSERT_TRUE(j.is_array());
  EXPECT_EQ(j.size(), 2u);  // crawler i=2,3; indexer's two events are at +0 s and +1 s
}

TEST(AuditCliTest, BadFlagsAreNamed) {
  AuditTestWorld w("cli-bad");
  w.append(1);
  auto r = ramp(w, "audit --since tomorrow");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("--since"), std::string::npos) << r.out;
  r = ramp(w, "audit --limit 0");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("--limit"), std::string::npos) << r.out;
}

TEST(AuditCliTest, MissingStoreIsNamed) {
  AuditTestWorld w("cli-none");
  w.store.reset();
  std::filesystem::remove(w.db);
  auto r = ramp(w, "audit verify");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("ramp.db"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace ramp
