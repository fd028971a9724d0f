// The InfraChange record (infra/InfraChange.h): its stored form, the pure
// decisions (refuseDecision, remainingPlan), and the InfraChangeStore over
// ramp's store on SQLite and PostgreSQL (the same assertions on both).
#include <cstdlib>
#include <filesystem>
#include <memory>

#include <gtest/gtest.h>

#include "../../store/PgTestDatabase.h"
#include "core/Sha256.h"
#include "infra/InfraChange.h"
#include "infra/InfraChangeStore.h"
#include "store/Store.h"

namespace ramp::infra {
namespace {

using nlohmann::json;

InfraChange sample(const std::string& id, const std::string& env = "prod") {
  InfraChange c;
  c.id = id;
  c.project = "shop";
  c.env = env;
  c.requester = "dana";
  c.createdAt = 1000;
  c.updatedAt = 1000;
  c.plan = json{{"env", env}, {"changes", json::array({json{{"address", "local_listener.web[local]"}}})}};
  c.planDigest = "abc123";
  c.configText = "project: shop\n";
  c.regions = {"local"};
  c.approval = json{{"requester", "dana"}, {"required", 1}, {"roles", json::array({"approver"})}};
  c.reason = "awaiting approval: 0 of 1";
  return c;
}

TEST(InfraChange, RoundTripsThroughItsStoredForm) {
  InfraChange c = sample("infra-0001");
  c.allowDestroy = true;
  c.parallelRegions = 3;
  c.applyId = "apply-1";
  c.report = json{{"ok", true}};
  c.revision = 4;
  auto back = InfraChange::fromJson(c.toJson());
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(back->toJson(), c.toJson());
}

TEST(InfraChange, FromJsonNamesTheBadField) {
  json j = sample("infra-0001").toJson();
  j["state"] = "half-done";
  auto bad = InfraChange::fromJson(j);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().where, "infra_change.state");
  j = sample("infra-0001").toJson();
  j.erase("plan");
  bad = InfraChange::fromJson(j);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().where, "infra_change.plan");
  j = sample("dep-0001").toJson();
  bad = InfraChange::fromJson(j);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().where, "infra_change.id");
  EXPECT_FALSE(InfraChange::fromJson(json::array()));
}

TEST(InfraChange, OnlyAPendingChangeIsDecided) {
  InfraChange c = sample("infra-0001");
  EXPECT_TRUE(refuseDecision(c));
  for (const char* s : {"applied", "failed", "rejected", "expired"}) {
    c.state = s;
    EXPECT_TRUE(isFinal(s));
    auto r = refuseDecision(c);
    ASSERT_FALSE(r) << s;
    EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
    EXPECT_NE(r.error().message.find("infra-0001 is " + std::string(s)), std::string::npos) << r.error().message;
  }
  for (const char* s : {"approved", "applying"}) {
    c.state = s;
    EXPECT_FALSE(isFinal(s));
    auto r = refuseDecision(c);
    ASSERT_FALSE(r) << s;
    EXPECT_NE(r.error().message.find("already " + std::string(s)), std::string::npos) << r.error().message;
  }
}

TEST(InfraChange, RemainingPlanLeavesOutWhatTheKilledApplyJournaled) {
  Plan p;
  p.project = "shop";
  p.env = "prod";
  p.digest = "d1";
  for (const char* a : {"a[local]", "b[local]", "c[local]"}) {
    Change c;
    c.address = a;
    p.changes.push_back(c);
  }
  JournalEntry done;
  done.address = "a[local]";
  done.status = "done";
  JournalEntry open;
  open.address = "c[local]";
  open.status = "intent";
  Plan rest = remainingPlan(p, {done, open});
  ASSERT_EQ(rest.changes.size(), 1u);
  EXPECT_EQ(rest.changes[0].address, "b[local]");
  EXPECT_EQ(rest.digest, "d1");  // still the approved plan's digest
  EXPECT_EQ(remainingPlan(p, {}).changes.size(), 3u);
}

// ---- InfraChangeStore on both backends ----

class InfraChangeStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      const char* home = std::getenv("RAMP_HOME");
      dir_ = std::filesystem::path(home && *home ? home : "/tmp") / ("infra-change-" + randomHex(6));
      std::filesystem::create_directories(dir_);
      auto s = store::openStore("sqlite://" + (dir_ / "store.db").string());
      ASSERT_TRUE(s) << s.error().describe();
      store_ = std::move(*s);
    } else {
      auto db = store::test::PgTestDatabase::create();
      ASSERT_TRUE(db) << db.error().describe();
      pg_ = std::make_unique<store::test::PgTestDatabase>(std::move(*db));
      auto s = store::openStore(pg_->url());
      ASSERT_TRUE(s) << s.error().describe();
      store_ = std::move(*s);
    }
  }
  void TearDown() override {
    store_.reset();
    pg_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<store::test::PgTestDatabase> pg_;
  std::unique_ptr<store::Store> store_;
};

TEST_P(InfraChangeStoreTest, InsertGetAndTheOpenIndex) {
  InfraChangeStore cs(*store_);
  InfraChange a = sample("infra-aaaa", "prod"), b = sample("infra-bbbb", "uat");
  ASSERT_TRUE(cs.insert(a));
  EXPECT_EQ(a.revision, 1);
  ASSERT_TRUE(cs.insert(b));
  InfraChange dup = sample("infra-aaaa");
  auto d = cs.insert(dup);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, ErrorCode::kConflict);

  auto got = cs.get("infra-aaaa");
  ASSERT_TRUE(got) << got.error().describe();
  EXPECT_EQ(got->toJson(), a.toJson());
  auto missing = cs.get("infra-nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("infra-nope"), std::string::npos);

  auto open = cs.listOpen();
  ASSERT_TRUE(open);
  ASSERT_EQ(open->size(), 2u);
  EXPECT_EQ((*open)[0].id, "infra-aaaa");  // oldest first
  auto prodOnly = cs.listOpen(std::string("prod"));
  ASSERT_TRUE(prodOnly);
  ASSERT_EQ(prodOnly->size(), 1u);
  EXPECT_EQ((*prodOnly)[0].id, "infra-aaaa");
}

TEST_P(InfraChangeStoreTest, UpdateIsACompareAndSwapAndFinalChangesLeaveTheOpenIndex) {
  InfraChangeStore cs(*store_);
  InfraChange a = sample("infra-aaaa");
  ASSERT_TRUE(cs.insert(a));
  InfraChange stale = a;  // read at revision 1
  a.state = "approved";
  ASSERT_TRUE(cs.update(a));
  EXPECT_EQ(a.revision, 2);
  stale.state = "rejected";
  auto lost = cs.update(stale);
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code, ErrorCode::kConflict);
  EXPECT_NE(lost.error().message.find("revision 2"), std::string::npos) << lost.error().message;
  EXPECT_EQ(cs.get("infra-aaaa")->state, "approved");  // the lost write changed nothing

  a.state = "applied";
  ASSERT_TRUE(cs.update(a));
  auto open = cs.listOpen();
  ASSERT_TRUE(open);
  EXPECT_TRUE(open->empty());
  auto recent = cs.listRecent(10);
  ASSERT_TRUE(recent);
  ASSERT_EQ(recent->size(), 1u);
  EXPECT_EQ((*recent)[0].state, "applied");

  InfraChange unknown = sample("infra-zzzz");
  EXPECT_EQ(cs.update(unknown).error().code, ErrorCode::kNotFound);
}

TEST_P(InfraChangeStoreTest, RecentIsNewestFirstAndAnUnreadableDocumentIsReported) {
  InfraChangeStore cs(*store_);
  for (const char* id : {"infra-0001", "infra-0002", "infra-0003"}) {
    InfraChange c = sample(id);
    ASSERT_TRUE(cs.insert(c));
  }
  auto recent = cs.listRecent(2);
  ASSERT_TRUE(recent);
  ASSERT_EQ(recent->size(), 2u);
  EXPECT_EQ((*recent)[0].id, "infra-0003");
  EXPECT_EQ((*recent)[1].id, "infra-0002");
  ASSERT_TRUE(store_->putSetting(InfraChangeStore::keyOf("infra-0002"), "{not json"));
  auto broken = cs.get("infra-0002");
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().where, "infra.change.infra-0002");
  EXPECT_FALSE(cs.listOpen());
}

INSTANTIATE_TEST_SUITE_P(Backends, InfraChangeStoreTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ramp::infra
