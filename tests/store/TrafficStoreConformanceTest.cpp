// TrafficStoreConformanceTest — store/TrafficStore.h on both backends: one
// row per entry point, each setter changing its own column only, the fence
// rule, bad input refused with nothing written, the key list in byte order,
// and migration 10 moving the old settings ("entrypoints", "url:NAME",
// "traffic:NAME", "stable:NAME") into the table.
#include "StoreConformance.h"

using namespace ramp;
using namespace ramp::store;
using namespace ramp::store::test;

namespace {

const EntrypointKey kWeb{"web", "prod", "local"};

std::optional<EntrypointRecord> row(Store& s, const EntrypointKey& key) {
  auto r = s.getEntrypoint(key);
  EXPECT_TRUE(r) << r.error().describe();
  return r ? *r : std::nullopt;
}

TEST_P(StoreConformance, EntrypointRowsKeepEachColumnApart) {
  EXPECT_FALSE(row(*store_, kWeb)) << "no row before the first write";
  ASSERT_TRUE(store_->putTrafficPlan(kWeb, Json{{"weights", {{"f1", 100}}}}, std::nullopt));
  auto r = row(*store_, kWeb);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->url, "") << "made by the plan's write: no URL yet";
  EXPECT_EQ(r->stableFleet, "");
  EXPECT_EQ(r->trafficPlan, (Json{{"weights", {{"f1", 100}}}}));

  ASSERT_TRUE(store_->putEntrypointUrl(kWeb, "http://127.0.0.1:8080", std::nullopt));
  ASSERT_TRUE(store_->putStableFleet(kWeb, "f1", "1.0.0", std::nullopt));
  ASSERT_TRUE(store_->putTrafficPlan(kWeb, Json{{"weights", {{"f1", 90}, {"f2", 10}}}, {"stable", "f1"}}, std::nullopt));
  r = row(*reopen(), kWeb);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->url, "http://127.0.0.1:8080") << "the plan's write left the URL alone";
  EXPECT_EQ(r->stableFleet, "f1");
  EXPECT_EQ(r->stableVersion, "1.0.0");
  EXPECT_EQ(r->trafficPlan["weights"]["f2"], 10);

  // `ramp down`: an empty plan and no stable fleet; the row (and its key) stay.
  ASSERT_TRUE(store_->putTrafficPlan(kWeb, Json::object(), std::nullopt));
  ASSERT_TRUE(store_->putStableFleet(kWeb, "", "", std::nullopt));
  r = row(*store_, kWeb);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->trafficPlan, Json::object());
  EXPECT_EQ(r->stableFleet, "");
  EXPECT_EQ(r->url, "http://127.0.0.1:8080");
}

TEST_P(StoreConformance, EntrypointKeysAreListedInByteOrder) {
  for (const auto& k : std::vector<EntrypointKey>{{"web", "prod", "us-east-1"}, {"Web", "prod", "local"},
                                                  {"web", "int", "local"}, {"web", "prod", "eu-west-1"}}) {
    ASSERT_TRUE(store_->putEntrypointUrl(k, "http://" + k.service + "." + k.env + "." + k.region, std::nullopt));
  }
  ASSERT_TRUE(store_->putEntrypointUrl({"web", "int", "local"}, "http://again", std::nullopt)) << "an upsert";
  auto rows = reopen()->listEntrypoints();
  ASSERT_TRUE(rows) << rows.error().describe();
  std::vector<EntrypointKey> want{{"Web", "prod", "local"}, {"web", "int", "local"}, {"web", "prod", "eu-west-1"},
                                  {"web", "prod", "us-east-1"}};
  std::vector<EntrypointKey> got;
  for (const auto& r : *rows) got.push_back(r.key);
  EXPECT_EQ(got, want);
  EXPECT_EQ((*rows)[1].url, "http://again");
  EXPECT_EQ((*rows)[3].url, "http://web.prod.us-east-1");
}

TEST_P(StoreConformance, EntrypointWritesObeyTheFenceAndRefuseBadInput) {
  auto lease = store_->acquireLease("controller", "node-a", 10'000, kT0);
  ASSERT_TRUE(lease) << lease.error().describe();
  const Fence held{"controller", lease->epoch}, stale{"controller", lease->epoch + 1};
  ASSERT_TRUE(store_->putEntrypointUrl(kWeb, "http://a", held));
  ASSERT_TRUE(store_->putTrafficPlan(kWeb, Json{{"weights", {{"f1", 100}}}}, held));

  auto refused = store_->putTrafficPlan(kWeb, Json{{"weights", {{"f2", 100}}}}, stale);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  EXPECT_EQ(store_->putEntrypointUrl(kWeb, "http://b", stale).error().code, ErrorCode::kConflict);
  EXPECT_EQ(store_->putStableFleet(kWeb, "f2", "2.0.0", stale).error().code, ErrorCode::kConflict);
  EXPECT_EQ(store_->putEntrypointUrl({"api", "prod", "local"}, "http://c", stale).error().code,
            ErrorCode::kConflict);

  auto bad = store_->putTrafficPlan(kWeb, Json::array({1, 2}), held);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(bad.error().where, "plan");
  auto noRegion = store_->putEntrypointUrl({"web", "prod", ""}, "http://d", held);
  ASSERT_FALSE(noRegion);
  EXPECT_EQ(noRegion.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(noRegion.error().where, "region");
  EXPECT_EQ(store_->putStableFleet({"", "prod", "local"}, "f", "1", held).error().where, "service");

  auto r = row(*store_, kWeb);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->url, "http://a") << "nothing a refused write named changed";
  EXPECT_EQ(r->trafficPlan, (Json{{"weights", {{"f1", 100}}}}));
  EXPECT_EQ(r->stableFleet, "");
  auto rows = store_->listEntrypoints();
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->size(), 1u) << "no row for a refused write";
}

// A plan and the traffic.set that says why commit together: with the
// plan when it is written (in order), with nothing
// when it is refused (a stale fence) or bad (an event the chain refuses).
TEST_P(StoreConformance, ATrafficPlanAndItsEventsCommitTogether) {
  auto lease = store_->acquireLease("controller", "node-a", 10'000, kT0);
  ASSERT_TRUE(lease) << lease.error().describe();
  const Fence held{"controller", lease->epoch}, stale{"controller", lease->epoch + 1};
  auto event = [](const std::string& weights) {
    AuditEventInput e;
    e.time = kT0;
    e.actor = "node-a";
    e.kind = "traffic.set";
    e.service = "web";
    e.env = "prod";
    e.deploymentId = "dep-1";
    e.data = Json{{"entrypoint", "web.prod.local"}, {"weights", weights}};
    return e;
  };
  auto traffic = [&] {
    AuditFilter f;
    f.kindPrefix = "traffic.set";
    auto evs = store_->listEvents(f);
    EXPECT_TRUE(evs) << evs.error().describe();
    std::vector<std::string> out;
    for (const auto& e : evs ? *evs : std::vector<AuditEvent>{}) out.push_back(e.data.value("weights", ""));
    return out;
  };
  ASSERT_TRUE(store_->putTrafficPlan(kWeb, Json{{"weights", {{"f1", 100}}}}, held, {event("f1=100")}));
  ASSERT_TRUE(store_->putTrafficPlan(kWeb, Json{{"weights", {{"f1", 90}, {"f2", 10}}}}, held, {event("f1=90 f2=10")}));
  EXPECT_EQ(traffic(), (std::vector<std::string>{"f1=100", "f1=90 f2=10"}));

  auto refused = store_->putTrafficPlan(kWeb, Json{{"weights", {{"f2", 100}}}}, stale, {event("f2=100")});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  AuditEventInput bad = event("f2=100");
  bad.kind = "";
  auto badEvent = store_->putTrafficPlan(kWeb, Json{{"weights", {{"f2", 100}}}}, held, {bad});
  ASSERT_FALSE(badEvent) << "an event the chain refuses refuses its plan";
  auto r = row(*reopen(), kWeb);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->trafficPlan["weights"]["f2"], 10) << "neither refused plan was written";
  EXPECT_EQ(traffic(), (std::vector<std::string>{"f1=100", "f1=90 f2=10"})) << "nor its event";
}

// Migration 10 on a store written by a ramp from before it: the settings
// become rows and are deleted; settings of other owners stay.
TEST_P(StoreConformance, MigrationTenMovesEntrypointSettingsIntoTheTable) {
  store_.reset();
  rawSql("DROP TABLE entrypoints");
  rawSql("DELETE FROM schema_migrations WHERE version = 10");
  rawSql(R"sql(INSERT INTO settings (key, value) VALUES
    ('entrypoints', '[{"service":"web","env":"prod","region":"local"},{"service":"api","env":"int","region":"eu-west-1"},{"service":"","env":"x","region":"y"},17]'),
    ('url:web.prod.local', 'http://127.0.0.1:9000'),
    ('traffic:web.prod.local', '{"weights":{"f1":80,"f2":20},"stable":"f1","lease_ms":30000}'),
    ('stable:web.prod.local', '{"fleet":"f1","version":"1.2.0"}'),
    ('url:api.int.eu-west-1', 'https://api.example'),
    ('stable:api.int.eu-west-1', ''),
    ('traffic:api/int/eu-west-1', '{"provider":"aws"}'),
    ('leader', '{"address":"127.0.0.1:1"}'))sql");
  store_ = reopen();
  ASSERT_TRUE(store_);
  auto version = store_->schemaVersion();
  ASSERT_TRUE(version);
  EXPECT_GE(*version, 10);

  auto web = row(*store_, kWeb);
  ASSERT_TRUE(web);
  EXPECT_EQ(web->url, "http://127.0.0.1:9000");
  EXPECT_EQ(web->trafficPlan["weights"]["f2"], 20);
  EXPECT_EQ(web->trafficPlan["lease_ms"], 30000);
  EXPECT_EQ(web->stableFleet, "f1");
  EXPECT_EQ(web->stableVersion, "1.2.0");
  auto api = row(*store_, {"api", "int", "eu-west-1"});
  ASSERT_TRUE(api);
  EXPECT_EQ(api->url, "https://api.example");
  EXPECT_EQ(api->trafficPlan, Json::object()) << "no plan setting: no plan";
  EXPECT_EQ(api->stableFleet, "") << "a stable setting of \"\" (ramp down) is none";
  auto rows = store_->listEntrypoints();
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->size(), 2u) << "the list's entries without their three names are skipped";

  for (const char* moved : {"entrypoints", "url:web.prod.local", "traffic:web.prod.local", "stable:web.prod.local",
                            "url:api.int.eu-west-1", "stable:api.int.eu-west-1"}) {
    auto v = store_->getSetting(moved);
    ASSERT_TRUE(v);
    EXPECT_FALSE(*v) << moved << " is still a setting";
  }
  for (const char* kept : {"traffic:api/int/eu-west-1", "leader"}) {
    auto v = store_->getSetting(kept);
    ASSERT_TRUE(v && *v) << kept << " (not the engine's) was removed";
  }
}

}  // namespace
