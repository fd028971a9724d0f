// StoreConformanceTest — every rule of store/Store.h, run against each
// implementation: SQLite (a fresh file per test) and PostgreSQL (a fresh
// database per test on the `postgres` CTest fixture's server).
#include <sqlite3.h>
#include <sys/stat.h>

#include <atomic>
#include <barrier>
#include <fstream>
#include <set>
#include <thread>

#include "StoreConformance.h"
#include "store/AuditChain.h"
#include "store/Migrations.h"

using namespace ramp;
using namespace ramp::store;
using namespace ramp::store::test;

namespace {

// ------------------------------------------------------------ migrations

TEST_P(StoreConformance, MigrationsAreAppliedAndIdempotent) {
  EXPECT_EQ(store_->kind(), GetParam());
  auto v = store_->schemaVersion();
  ASSERT_TRUE(v) << v.error().describe();
  EXPECT_EQ(*v, latestSchemaVersion());
  EXPECT_GE(*v, 1);
  ASSERT_TRUE(store_->migrate());
  ASSERT_TRUE(store_->putSetting("kept", "yes"));
  auto again = reopen();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again->schemaVersion(), latestSchemaVersion());
  EXPECT_EQ(again->getSetting("kept")->value_or(""), "yes");
}

TEST_P(StoreConformance, ConcurrentOpenersMigrateOnce) {
  // A second, never-migrated database opened by 4 threads at once.
  std::string url;
  std::optional<PgDb> db;
  fs::path dir;
  if (GetParam() == "sqlite") {
    dir = scratchDir();
    url = "sqlite://" + (dir / "race.db").string();
  } else {
    auto d = PgDb::create();
    ASSERT_TRUE(d) << d.error().describe();
    db.emplace(std::move(*d));
    url = db->url();
  }
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  std::vector<std::string> errors(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto s = openStore(url);
      if (s) ++good;
      else errors[i] = s.error().describe();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 4) << errors[0] << errors[1] << errors[2] << errors[3];
  auto s = openStore(url);
  ASSERT_TRUE(s);
  EXPECT_EQ(*(*s)->schemaVersion(), latestSchemaVersion());
  s->reset();
  if (!dir.empty()) fs::remove_all(dir);
}

TEST_P(StoreConformance, NewerSchemaIsRefused) {
  rawSql("INSERT INTO schema_migrations (version, name) VALUES (9999, 'from the future')");
  auto s = openStore(url_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(contains(s.error().message, "9999")) << s.error().message;
}

// ------------------------------------------------------------ releases

TEST_P(StoreConformance, ReleasesAreImmutable) {
  ReleaseRecord r{"crawler", "1.4.0", "sha256:" + std::string(64, '1'), "alice", kT0,
                  Json{{"files", 3}, {"bundle", "/releases/crawler-1.4.0.tar"}}};
  ASSERT_TRUE(store_->putRelease(r));
  ASSERT_TRUE(store_->putRelease(r)) << "same digest again is not a change";
  ReleaseRecord changed = r;
  changed.digest = "sha256:" + std::string(64, '2');
  auto st = store_->putRelease(changed);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kConflict);
  EXPECT_TRUE(contains(st.error().message, r.digest)) << st.error().message;
  EXPECT_TRUE(contains(st.error().message, changed.digest)) << st.error().message;

  auto got = store_->getRelease("crawler", "1.4.0");
  ASSERT_TRUE(got) << got.error().describe();
  EXPECT_EQ(got->digest, r.digest);
  EXPECT_EQ(got->createdBy, "alice");
  EXPECT_EQ(got->createdAt, kT0);
  EXPECT_EQ(got->doc, r.doc);

  auto missing = store_->getRelease("crawler", "9.9.9");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(contains(missing.error().describe(), "9.9.9"));

  auto bad = store_->putRelease(ReleaseRecord{"crawler", "", "sha256:x", "a", kT0, {}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(bad.error().where, "version");
}

TEST_P(StoreConformance, ListReleasesFiltersAndOrders) {
  ASSERT_TRUE(store_->putRelease({"crawler", "1.1.0", "sha256:b", "a", kT0 + 20, {}}));
  ASSERT_TRUE(store_->putRelease({"crawler", "1.0.0", "sha256:a", "a", kT0 + 10, {}}));
  ASSERT_TRUE(store_->putRelease({"api", "2.0.0", "sha256:c", "a", kT0 + 30, {}}));
  auto all = store_->listReleases(std::nullopt);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].service, "api");
  EXPECT_EQ((*all)[1].version, "1.0.0");
  EXPECT_EQ((*all)[2].version, "1.1.0");
  auto crawler = store_->listReleases(std::string("crawler"));
  ASSERT_TRUE(crawler);
  ASSERT_EQ(crawler->size(), 2u);
  for (auto& r : *crawler) EXPECT_EQ(r.service, "crawler");
  EXPECT_TRUE(store_->listReleases(std::string("nope"))->empty());
}

// ------------------------------------------------------------ deployments

TEST_P(StoreConformance, DeploymentRevisions) {
  auto d = deployment("dep-1", "crawler", "int", "queued", kT0);
  ASSERT_TRUE(store_->insertDeployment(d, std::nullopt));
  EXPECT_EQ(d.revision, 1);

  auto dup = deployment("dep-1", "crawler", "int", "queued", kT0);
  auto st = store_->insertDeployment(dup, std::nullopt);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kConflict);
  EXPECT_TRUE(contains(st.error().message, "dep-1"));

  DeploymentRecord reader = *store_->getDeployment("dep-1");
  EXPECT_EQ(reader.revision, 1);

  d.state = "running";
  d.updatedAt = kT0 + 5;
  d.doc["step"] = 1;
  ASSERT_TRUE(store_->updateDeployment(d, std::nullopt));
  EXPECT_EQ(d.revision, 2);

  // The reader still holds revision 1: its update must be refused.
  reader.state = "aborted";
  auto stale = store_->updateDeployment(reader, std::nullopt);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  EXPECT_TRUE(contains(stale.error().message, "revision 2")) << stale.error().message;
  EXPECT_EQ(reader.revision, 1);

  auto got = store_->getDeployment("dep-1");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->state, "running");
  EXPECT_EQ(got->revision, 2);
  EXPECT_EQ(got->updatedAt, kT0 + 5);
  EXPECT_EQ(got->createdAt, kT0);
  EXPECT_EQ(got->doc["step"], 1);

  auto ghost = deployment("dep-ghost", "crawler", "int", "queued", kT0);
  ghost.revision = 1;
  auto nf = store_->updateDeployment(ghost, std::nullopt);
  ASSERT_FALSE(nf);
  EXPECT_EQ(nf.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->getDeployment("dep-ghost").error().code, ErrorCode::kNotFound);

  DeploymentRecord noId;
  auto inv = store_->insertDeployment(noId, std::nullopt);
  ASSERT_FALSE(inv);
  EXPECT_EQ(inv.error().code, ErrorCode::kInvalid);
}

TEST_P(StoreConformance, ListDeploymentsFiltersAndOrders) {
  struct Row { const char* id; const char* svc; const char* env; const char* state; int64_t at; };
  std::vector<Row> rows = {
      {"dep-a", "crawler", "int", "succeeded", kT0 + 1},
      {"dep-b", "crawler", "int", "running", kT0 + 2},
      {"dep-c", "crawler", "prod", "paused", kT0 + 3},
      {"dep-d", "api", "int", "awaiting_approval", kT0 + 4},
      {"dep-e", "api", "prod", "failed", kT0 + 5},
      {"dep-f", "crawler", "int", "queued", kT0 + 6},
      {"dep-g", "crawler", "uat", "rolled_back", kT0 + 7},
  };
  for (auto& r : rows) {
    auto d = deployment(r.id, r.svc, r.env, r.state, r.at);
    ASSERT_TRUE(store_->insertDeployment(d, std::nullopt));
  }
  auto ids = [](const std::vector<DeploymentRecord>& v) {
    std::vector<std::string> out;
    for (auto& d : v) out.push_back(d.id);
    return out;
  };
  DeploymentFilter all;
  EXPECT_EQ(ids(*store_->listDeployments(all)),
            (std::vector<std::string>{"dep-g", "dep-f", "dep-e", "dep-d", "dep-c", "dep-b", "dep-a"}));
  DeploymentFilter crawlerInt;
  crawlerInt.service = "crawler";
  crawlerInt.env = "int";
  EXPECT_EQ(ids(*store_->listDeployments(crawlerInt)),
            (std::vector<std::string>{"dep-f", "dep-b", "dep-a"}));
  DeploymentFilter active;
  active.activeOnly = true;
  EXPECT_EQ(ids(*store_->listDeployments(active)),
            (std::vector<std::string>{"dep-f", "dep-d", "dep-c", "dep-b"}));
  DeploymentFilter prod;
  prod.env = "prod";
  EXPECT_EQ(ids(*store_->listDeployments(prod)), (std::vector<std::string>{"dep-e", "dep-c"}));
  DeploymentFilter two;
  two.limit = 2;
  EXPECT_EQ(ids(*store_->listDeployments(two)), (std::vector<std::string>{"dep-g", "dep-f"}));
  DeploymentFilter zero;
  zero.limit = 0;
  auto bad = store_->listDeployments(zero);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(bad.error().where, "limit");
}

// ------------------------------------------------------------ fences

TEST_P(StoreConformance, FenceRefusesStaleEpoch) {
  auto a = store_->acquireLease("controller", "node-a", 10'000, kT0);
  ASSERT_TRUE(a) << a.error().describe();
  EXPECT_EQ(a->epoch, 1);
  Fence fa{"controller", a->epoch};

  auto d = deployment("dep-f1", "crawler", "prod", "running", kT0);
  ASSERT_TRUE(store_->insertDeployment(d, fa));
  auto f = fleet("fl-1", "crawler", "prod", "creating", kT0);
  ASSERT_TRUE(store_->putFleet(f, fa));

  // node-a stalls; its lease expires and node-b takes over.
  auto b = store_->acquireLease("controller", "node-b", 10'000, kT0 + 10'001);
  ASSERT_TRUE(b) << b.error().describe();
  EXPECT_EQ(b->epoch, 2);

  d.state = "aborted";
  auto st = store_->updateDeployment(d, fa);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kConflict);
  EXPECT_TRUE(contains(st.error().message, "controller")) << st.error().message;
  EXPECT_TRUE(contains(st.error().message, "epoch 2")) << st.error().message;
  EXPECT_TRUE(contains(st.error().message, "epoch is 1")) << st.error().message;
  EXPECT_EQ(d.revision, 1);
  EXPECT_EQ(store_->getDeployment("dep-f1")->state, "running") << "a fenced write changes nothing";

  auto d2 = deployment("dep-f2", "crawler", "prod", "queued", kT0);
  EXPECT_EQ(store_->insertDeployment(d2, fa).error().code, ErrorCode::kConflict);
  EXPECT_EQ(store_->getDeployment("dep-f2").error().code, ErrorCode::kNotFound);

  f.state = "active";
  EXPECT_EQ(store_->putFleet(f, fa).error().code, ErrorCode::kConflict);
  EXPECT_EQ(store_->getFleet("fl-1")->state, "creating");

  // The new leader writes fine with its own epoch.
  Fence fb{"controller", b->epoch};
  ASSERT_TRUE(store_->updateDeployment(d, fb));
  ASSERT_TRUE(store_->putFleet(f, fb));

  // A fence naming a lease nobody holds, or a released one, is refused.
  auto d3 = deployment("dep-f3", "crawler", "prod", "queued", kT0);
  auto none = store_->insertDeployment(d3, Fence{"no-such-lease", 1});
  ASSERT_FALSE(none);
  EXPECT_TRUE(contains(none.error().message, "no-such-lease"));
  ASSERT_TRUE(store_->releaseLease("controller", "node-b", b->epoch));
  EXPECT_EQ(store_->insertDeployment(d3, fb).error().code, ErrorCode::kConflict);
}

// ------------------------------------------------------------ fleets

TEST_P(StoreConformance, FleetUpsertAndList) {
  auto f1 = fleet("fl-1", "crawler", "int", "active", kT0 + 1);
  ASSERT_TRUE(store_->putFleet(f1, std::nullopt));
  EXPECT_EQ(f1.revision, 1);
  auto dup = fleet("fl-1", "crawler", "int", "active", kT0 + 1);
  EXPECT_EQ(store_->putFleet(dup, std::nullopt).error().code, ErrorCode::kConflict);

  FleetRecord reader = *store_->getFleet("fl-1");
  f1.state = "retiring";
  f1.doc["weight"] = 0;
  ASSERT_TRUE(store_->putFleet(f1, std::nullopt));
  EXPECT_EQ(f1.revision, 2);
  reader.state = "failed";
  auto stale = store_->putFleet(reader, std::nullopt);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  EXPECT_TRUE(contains(stale.error().message, "revision 2")) << stale.error().message;

  auto got = store_->getFleet("fl-1");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->state, "retiring");
  EXPECT_EQ(got->doc["weight"], 0);
  EXPECT_EQ(got->doc["instances"][0]["port"], 8080);
  EXPECT_EQ(got->region, "local");

  auto ghost = fleet("fl-ghost", "crawler", "int", "active", kT0);
  ghost.revision = 3;
  EXPECT_EQ(store_->putFleet(ghost, std::nullopt).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->getFleet("fl-ghost").error().code, ErrorCode::kNotFound);

  auto f2 = fleet("fl-2", "crawler", "int", "retired", kT0 + 2);
  auto f3 = fleet("fl-3", "crawler", "prod", "active", kT0 + 3);
  auto f4 = fleet("fl-4", "api", "int", "creating", kT0 + 4);
  ASSERT_TRUE(store_->putFleet(f2, std::nullopt));
  ASSERT_TRUE(store_->putFleet(f3, std::nullopt));
  ASSERT_TRUE(store_->putFleet(f4, std::nullopt));
  auto ids = [](const std::vector<FleetRecord>& v) {
    std::vector<std::string> out;
    for (auto& f : v) out.push_back(f.id);
    return out;
  };
  EXPECT_EQ(ids(*store_->listFleets(std::nullopt, std::nullopt, true)),
            (std::vector<std::string>{"fl-1", "fl-2", "fl-3", "fl-4"}));
  EXPECT_EQ(ids(*store_->listFleets(std::nullopt, std::nullopt, false)),
            (std::vector<std::string>{"fl-1", "fl-3", "fl-4"}));
  EXPECT_EQ(ids(*store_->listFleets(std::string("crawler"), std::string("int"), true)),
            (std::vector<std::string>{"fl-1", "fl-2"}));
  EXPECT_EQ(ids(*store_->listFleets(std::string("crawler"), std::string("int"), false)),
            (std::vector<std::string>{"fl-1"}));
  EXPECT_EQ(ids(*store_->listFleets(std::nullopt, std::string("int"), false)),
            (std::vector<std::string>{"fl-1", "fl-4"}));
}

// ------------------------------------------------------------ leases

TEST_P(StoreConformance, LeaseLifecycle) {
  EXPECT_FALSE(store_->getLease("ctl")->has_value());

  auto a = store_->acquireLease("ctl", "node-a", 1000, kT0);
  ASSERT_TRUE(a) << a.error().describe();
  EXPECT_EQ(a->owner, "node-a");
  EXPECT_EQ(a->epoch, 1);
  EXPECT_EQ(a->expiresAt, kT0 + 1000);

  auto held = store_->acquireLease("ctl", "node-b", 1000, kT0 + 500);
  ASSERT_FALSE(held);
  EXPECT_EQ(held.error().code, ErrorCode::kConflict);
  EXPECT_TRUE(contains(held.error().message, "node-a")) << held.error().message;
  EXPECT_TRUE(contains(held.error().message, formatTime(fromUnixMillis(kT0 + 1000))))
      << held.error().message;

  // Re-acquiring while held renews with the same epoch.
  auto again = store_->acquireLease("ctl", "node-a", 1000, kT0 + 600);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->epoch, 1);
  EXPECT_EQ(again->expiresAt, kT0 + 1600);

  auto renewed = store_->renewLease("ctl", "node-a", 1, 2000, kT0 + 1500);
  ASSERT_TRUE(renewed) << renewed.error().describe();
  EXPECT_EQ(renewed->expiresAt, kT0 + 3500);
  EXPECT_EQ(renewed->epoch, 1);

  // The loser cannot renew, under any epoch.
  EXPECT_EQ(store_->renewLease("ctl", "node-b", 1, 1000, kT0 + 1600).error().code, ErrorCode::kConflict);
  EXPECT_EQ(store_->renewLease("ctl", "node-a", 7, 1000, kT0 + 1600).error().code, ErrorCode::kConflict);
  // Not expired at exactly now < expiresAt; expired at now == expiresAt.
  EXPECT_EQ(store_->acquireLease("ctl", "node-b", 1000, kT0 + 3499).error().code, ErrorCode::kConflict);
  auto b = store_->acquireLease("ctl", "node-b", 1000, kT0 + 3500);
  ASSERT_TRUE(b) << b.error().describe();
  EXPECT_EQ(b->epoch, 2);
  EXPECT_EQ(b->owner, "node-b");

  // The deposed holder can neither renew nor release it.
  auto lost = store_->renewLease("ctl", "node-a", 1, 1000, kT0 + 3600);
  ASSERT_FALSE(lost);
  EXPECT_TRUE(contains(lost.error().message, "node-b")) << lost.error().message;
  ASSERT_TRUE(store_->releaseLease("ctl", "node-a", 1));
  auto cur = store_->getLease("ctl");
  ASSERT_TRUE(cur && cur->has_value());
  EXPECT_EQ((*cur)->owner, "node-b");
  EXPECT_EQ((*cur)->epoch, 2);

  // An expired lease cannot be renewed, even by its holder, and re-taking it
  // bumps the epoch.
  EXPECT_EQ(store_->renewLease("ctl", "node-b", 2, 1000, kT0 + 4500).error().code, ErrorCode::kConflict);
  auto b2 = store_->acquireLease("ctl", "node-b", 1000, kT0 + 4600);
  ASSERT_TRUE(b2);
  EXPECT_EQ(b2->epoch, 3);

  // Release frees it; epochs never go back.
  ASSERT_TRUE(store_->releaseLease("ctl", "node-b", 3));
  EXPECT_FALSE(store_->getLease("ctl")->has_value());
  auto c = store_->acquireLease("ctl", "node-c", 1000, kT0 + 4700);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->epoch, 4);

  // Leases are independent by name.
  auto other = store_->acquireLease("other", "node-a", 1000, kT0 + 4700);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->epoch, 1);

  auto bad = store_->acquireLease("ctl", "", 1000, kT0);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(bad.error().where, "owner");
  EXPECT_EQ(store_->acquireLease("ctl", "x", 0, kT0).error().where, "ttlMs");
}

TEST_P(StoreConformance, ConcurrentLeaseTakersHaveExactlyOneWinner) {
  // Twice: a fresh lease, then an expired one being taken over.
  auto seed = store_->acquireLease("race2", "old", 100, kT0);
  ASSERT_TRUE(seed);
  for (const std::string name : {"race", "race2"}) {
    constexpr int kThreads = 8;
    std::vector<std::unique_ptr<Store>> stores;
    for (int i = 0; i < kThreads; ++i) {
      stores.push_back(reopen());
      ASSERT_TRUE(stores.back());
    }
    std::barrier start(kThreads);
    std::vector<std::optional<Lease>> won(kThreads);
    std::vector<std::string> otherErrors;
    std::mutex mu;
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        auto l = stores[i]->acquireLease(name, "node-" + std::to_string(i), 10'000, kT0 + 1000);
        if (l) {
          won[i] = *l;
        } else if (l.error().code != ErrorCode::kConflict) {
          std::lock_guard lock(mu);
          otherErrors.push_back(l.error().describe());
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_TRUE(otherErrors.empty()) << otherErrors.front();
    int winners = 0;
    std::string winner;
    for (int i = 0; i < kThreads; ++i) {
      if (won[i]) {
        ++winners;
        winner = won[i]->owner;
        EXPECT_EQ(won[i]->epoch, name == "race" ? 1 : 2);
      }
    }
    EXPECT_EQ(winners, 1) << name;
    auto cur = store_->getLease(name);
    ASSERT_TRUE(cur && cur->has_value());
    EXPECT_EQ((*cur)->owner, winner);
  }
}

// ------------------------------------------------------------ audit

TEST_P(StoreConformance, AuditAppendListAndFilters) {
  struct In { const char* svc; const char* env; const char* dep; int64_t t; };
  std::vector<In> ins = {{"crawler", "int", "dep-1", kT0 + 1}, {"crawler", "int", "dep-1", kT0 + 2},
                         {"crawler", "prod", "dep-2", kT0 + 3}, {"api", "int", "", kT0 + 4},
                         {"", "", "", kT0 + 5}};
  std::string prev = kGenesisHash;
  for (size_t i = 0; i < ins.size(); ++i) {
    AuditEventInput e;
    e.time = ins[i].t;
    e.actor = "ramp";
    e.kind = "deployment.step";
    e.service = ins[i].svc;
    e.env = ins[i].env;
    e.deploymentId = ins[i].dep;
    e.data = Json{{"i", i}, {"weights", Json::array({90, 10})}};
    auto got = store_->appendEvent(e);
    ASSERT_TRUE(got) << got.error().describe();
    EXPECT_EQ(got->seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ(got->prevHash, prev);
    EXPECT_EQ(got->hash, hashOf(*got));
    prev = got->hash;
  }
  AuditFilter all;
  auto events = store_->listEvents(all);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 5u);
  EXPECT_EQ((*events)[4].hash, prev);
  EXPECT_EQ((*events)[2].data["weights"][1], 10);
  EXPECT_TRUE(verifyChain(*events).ok);

  auto seqs = [&](AuditFilter f) {
    std::vector<int64_t> out;
    auto events = store_->listEvents(f);
    EXPECT_TRUE(events) << events.error().describe();
    if (events) for (auto& e : *events) out.push_back(e.seq);
    return out;
  };
  AuditFilter f;
  f.service = "crawler";
  EXPECT_EQ(seqs(f), (std::vector<int64_t>{1, 2, 3}));
  f.env = "int";
  EXPECT_EQ(seqs(f), (std::vector<int64_t>{1, 2}));
  AuditFilter byDep;
  byDep.deploymentId = "dep-2";
  EXPECT_EQ(seqs(byDep), (std::vector<int64_t>{3}));
  AuditFilter since;
  since.sinceTime = kT0 + 3;
  EXPECT_EQ(seqs(since), (std::vector<int64_t>{3, 4, 5}));
  AuditFilter after;
  after.afterSeq = 3;
  EXPECT_EQ(seqs(after), (std::vector<int64_t>{4, 5}));
  AuditFilter page;
  page.afterSeq = 1;
  page.limit = 2;
  EXPECT_EQ(seqs(page), (std::vector<int64_t>{2, 3}));
  AuditFilter zero;
  zero.limit = 0;
  EXPECT_EQ(store_->listEvents(zero).error().code, ErrorCode::kInvalid);

  auto check = verifyStoredChain(*store_, 2);
  ASSERT_TRUE(check);
  EXPECT_TRUE(check->ok) << check->problem;
  EXPECT_EQ(check->count, 5);
  EXPECT_EQ(check->headHash, prev);

  AuditEventInput noKind;
  noKind.actor = "ramp";
  auto bad = store_->appendEvent(noKind);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().where, "kind");
}

// The audit page of the dashboard: newest first, paged back with `before`,
// filtered by who and by kind prefix (a prefix with LIKE's wildcards in it
// matches literally).
TEST_P(StoreConformance, AuditNewestFirstPagesAndFilters) {
  std::vector<std::pair<const char*, const char*>> ins = {
      {"dave", "deployment.control"}, {"ramp", "deployment.phase"}, {"ramp", "traffic.set"},
      {"dave", "deployment.rollback"}, {"bob", "deployment.approved"}, {"ramp", "verdict"},
      {"ramp", "deployment%x"}, {"ramp", "deployment_y"}, {"ramp", "déploiement.phase"}};
  for (size_t i = 0; i < ins.size(); ++i) {
    AuditEventInput e;
    e.time = kT0 + static_cast<int64_t>(i);
    e.actor = ins[i].first;
    e.kind = ins[i].second;
    e.service = "crawler";
    e.env = "prod";
    ASSERT_TRUE(store_->appendEvent(e));
  }
  auto seqs = [&](AuditFilter f) {
    std::vector<int64_t> out;
    auto events = store_->listEvents(f);
    EXPECT_TRUE(events) << events.error().describe();
    if (events) for (auto& e : *events) out.push_back(e.seq);
    return out;
  };
  AuditFilter newest;
  newest.newestFirst = true;
  newest.limit = 3;
  EXPECT_EQ(seqs(newest), (std::vector<int64_t>{9, 8, 7}));
  newest.beforeSeq = 6;
  EXPECT_EQ(seqs(newest), (std::vector<int64_t>{5, 4, 3}));
  newest.beforeSeq = 2;
  EXPECT_EQ(seqs(newest), (std::vector<int64_t>{1}));
  AuditFilter byActor;
  byActor.actor = "dave";
  EXPECT_EQ(seqs(byActor), (std::vector<int64_t>{1, 4}));
  AuditFilter byKind;
  byKind.kindPrefix = "deployment.";
  EXPECT_EQ(seqs(byKind), (std::vector<int64_t>{1, 2, 4, 5}));
  byKind.newestFirst = true;
  byKind.actor = "dave";
  EXPECT_EQ(seqs(byKind), (std::vector<int64_t>{4, 1}));
  AuditFilter literal;
  literal.kindPrefix = "deployment%";
  EXPECT_EQ(seqs(literal), (std::vector<int64_t>{7}));
  literal.kindPrefix = "deployment_";
  EXPECT_EQ(seqs(literal), (std::vector<int64_t>{8}));
  literal.kindPrefix = "verdict";
  EXPECT_EQ(seqs(literal), (std::vector<int64_t>{6}));
  literal.kindPrefix = "déploiement.";  // characters, not bytes
  EXPECT_EQ(seqs(literal), (std::vector<int64_t>{9}));
}

TEST_P(StoreConformance, TamperedRowsAreDetected) {
  for (int i = 0; i < 6; ++i) {
    AuditEventInput e;
    e.time = kT0 + i;
    e.actor = "ramp";
    e.kind = "traffic.set";
    e.data = Json{{"canary", i * 10}};
    ASSERT_TRUE(store_->appendEvent(e));
  }
  rawSql("UPDATE audit_events SET data = '{\"canary\":99}' WHERE seq = 4");
  auto edited = verifyStoredChain(*store_);
  ASSERT_TRUE(edited);
  EXPECT_FALSE(edited->ok);
  EXPECT_EQ(edited->firstBrokenSeq.value_or(-1), 4) << edited->problem;

  rawSql("DELETE FROM audit_events WHERE seq = 2");
  auto deleted = verifyStoredChain(*store_);
  ASSERT_TRUE(deleted);
  EXPECT_FALSE(deleted->ok);
  EXPECT_EQ(deleted->firstBrokenSeq.value_or(-1), 2) << deleted->problem;
}

TEST_P(StoreConformance, ConcurrentAppendersNeverForkTheChain) {
  constexpr int kThreads = 8;
  constexpr int kEach = 25;
  // Separate connections (as separate controllers would have), plus the
  // shared store object used from several threads at once.
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < kThreads; ++i) {
    stores.push_back(reopen());
    ASSERT_TRUE(stores.back());
  }
  std::barrier start(kThreads * 2);
  std::atomic<int> failures{0};
  std::string firstError;
  std::mutex mu;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads * 2; ++i) {
    threads.emplace_back([&, i] {
      Store& s = i < kThreads ? *stores[i] : *store_;
      start.arrive_and_wait();
      for (int k = 0; k < kEach; ++k) {
        AuditEventInput e;
        e.time = kT0 + k;
        e.actor = "writer-" + std::to_string(i);
        e.kind = "test.append";
        e.data = Json{{"k", k}};
        auto r = s.appendEvent(e);
        if (!r) {
          ++failures;
          std::lock_guard lock(mu);
          if (firstError.empty()) firstError = r.error().describe();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0) << firstError;
  auto check = verifyStoredChain(*store_, 64);
  ASSERT_TRUE(check);
  EXPECT_TRUE(check->ok) << check->problem;
  EXPECT_EQ(check->count, kThreads * 2 * kEach);
  AuditFilter f;
  f.limit = 10'000;
  auto events = store_->listEvents(f);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), static_cast<size_t>(kThreads * 2 * kEach));
  EXPECT_EQ(events->back().seq, kThreads * 2 * kEach);
}

// ------------------------------------------------------------ settings

TEST_P(StoreConformance, Settings) {
  EXPECT_FALSE(store_->getSetting("world.id")->has_value());
  ASSERT_TRUE(store_->putSetting("router.port", "8080"));
  EXPECT_EQ(store_->getSetting("router.port")->value_or(""), "8080");
  ASSERT_TRUE(store_->putSetting("router.port", "9090"));
  EXPECT_EQ(store_->getSetting("router.port")->value_or(""), "9090");
  EXPECT_EQ(*store_->putSettingIfAbsent("world.id", "w-1"), "w-1");
  EXPECT_EQ(*store_->putSettingIfAbsent("world.id", "w-2"), "w-1");
  EXPECT_EQ(store_->getSetting("world.id")->value_or(""), "w-1");
  EXPECT_EQ(store_->putSetting("", "x").error().code, ErrorCode::kInvalid);
  ASSERT_TRUE(store_->putSetting("empty", ""));
  auto e = store_->getSetting("empty");
  ASSERT_TRUE(e && e->has_value());
  EXPECT_EQ(**e, "");
}

TEST_P(StoreConformance, ConcurrentPutSettingIfAbsentAgreesOnOneWinner) {
  constexpr int kThreads = 8;
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < kThreads; ++i) stores.push_back(reopen());
  std::barrier start(kThreads);
  std::vector<std::string> seen(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      auto r = stores[i]->putSettingIfAbsent("world.id", "w-" + std::to_string(i));
      seen[i] = r ? *r : "error: " + r.error().describe();
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> distinct(seen.begin(), seen.end());
  ASSERT_EQ(distinct.size(), 1u) << *distinct.begin() << " / " << *distinct.rbegin();
  EXPECT_EQ(*distinct.begin(), store_->getSetting("world.id")->value_or("?"));
  EXPECT_TRUE(distinct.begin()->starts_with("w-"));
}

// ------------------------------------------------------------ data

TEST_P(StoreConformance, UnicodeAndLargeDocumentsRoundTrip) {
  std::string big(2 * 1024 * 1024, 'x');
  Json doc = {{"name", "crawler ✓ — ünïcødé 日本語 🚀"},
              {"big", big},
              {"nested", {{"list", Json::array({1, 2.5, -3, nullptr, true, "\u00e9"})}}},
              {"escapes", "quote\" backslash\\ nul\u0000 tab\t"}};
  Json many = Json::object();
  for (int i = 0; i < 5000; ++i) many["k" + std::to_string(i)] = i;
  doc["many"] = many;

  auto d = deployment("dep-ü-日本", "crawler-ü", "prod", "running", kT0);
  d.doc = doc;
  ASSERT_TRUE(store_->insertDeployment(d, std::nullopt));
  auto got = store_->getDeployment("dep-ü-日本");
  ASSERT_TRUE(got) << got.error().describe();
  EXPECT_EQ(got->doc, doc);
  EXPECT_EQ(got->service, "crawler-ü");

  ReleaseRecord r{"crawler", "1.0.0-ß", "sha256:x", "zoë", kT0, doc};
  ASSERT_TRUE(store_->putRelease(r));
  EXPECT_EQ(store_->getRelease("crawler", "1.0.0-ß")->doc, doc);

  AuditEventInput e;
  e.time = kT0;
  e.actor = "zoë";
  e.kind = "release.create";
  e.data = Json{{"note", "ünïcødé 🚀"}, {"x", 0.1}, {"big", 12345678901234567LL}};
  auto ev = store_->appendEvent(e);
  ASSERT_TRUE(ev);
  auto listed = store_->listEvents(AuditFilter{});
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].data, ev->data);
  EXPECT_EQ((*listed)[0].actor, "zoë");
  EXPECT_TRUE(verifyChain(*listed).ok);
}

TEST_P(StoreConformance, InvalidUtf8InDocumentsIsRefused) {
  auto d = deployment("dep-bad", "crawler", "int", "queued", kT0);
  d.doc["bad"] = std::string("\xff\xfe");
  auto st = store_->insertDeployment(d, std::nullopt);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kInvalid);
  EXPECT_TRUE(contains(st.error().where, "dep-bad")) << st.error().describe();
  EXPECT_EQ(store_->getDeployment("dep-bad").error().code, ErrorCode::kNotFound);
}

// ------------------------------------------------------------ identity

TEST_P(StoreConformance, UsersPutGetListAndReplaceKeepCreation) {
  EXPECT_EQ(store_->getUser("alice").error().code, ErrorCode::kNotFound);
  UserRecord a{"alice", Json{{"*", {"viewer"}}, {"prod", {"approver", "deployer"}}}, kT0, "root", false};
  ASSERT_TRUE(store_->putUser(a));
  UserRecord b{"bob", Json{{"int", {"deployer"}}}, kT0 + 1, "alice", false};
  ASSERT_TRUE(store_->putUser(b));
  auto got = store_->getUser("alice");
  ASSERT_TRUE(got) << got.error().describe();
  EXPECT_EQ(got->roles, a.roles);
  EXPECT_EQ(got->createdAt, kT0);
  EXPECT_EQ(got->createdBy, "root");
  EXPECT_FALSE(got->disabled);

  // Replace: roles and disabled change, creation stays the first one's.
  UserRecord a2{"alice", Json{{"uat", {"hotfix"}}}, kT0 + 99, "mallory", true};
  ASSERT_TRUE(store_->putUser(a2));
  got = store_->getUser("alice");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->roles, a2.roles);
  EXPECT_TRUE(got->disabled);
  EXPECT_EQ(got->createdAt, kT0);
  EXPECT_EQ(got->createdBy, "root");

  auto all = store_->listUsers();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "alice");
  EXPECT_EQ((*all)[1].name, "bob");

  auto bad = store_->putUser(UserRecord{"", Json::object(), kT0, "x", false});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalid);
  bad = store_->putUser(UserRecord{"carol", Json{{"prod", "admin"}}, kT0, "x", false});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(bad.error().where, "roles.prod");
  EXPECT_EQ(store_->getUser("carol").error().code, ErrorCode::kNotFound);
}

TEST_P(StoreConformance, TokensInsertFindListRevoke) {
  std::string h1 = sha256Hex("ramp_secret_1"), h2 = sha256Hex("ramp_secret_2"), h3 = sha256Hex("ramp_3");
  TokenRecord t1{"tok-1", "alice", "laptop", h1, kT0, std::nullopt, std::nullopt, std::nullopt};
  TokenRecord t2{"tok-2", "bob", "ci", h2, kT0 + 1, kT0 + 1000, std::nullopt, std::nullopt};
  ASSERT_TRUE(store_->insertToken(t1));
  ASSERT_TRUE(store_->insertToken(t2));

  auto f = store_->findTokenBySha256(h2);
  ASSERT_TRUE(f) << f.error().describe();
  EXPECT_EQ(f->id, "tok-2");
  EXPECT_EQ(f->user, "bob");
  EXPECT_EQ(f->name, "ci");
  EXPECT_EQ(f->createdAt, kT0 + 1);
  ASSERT_TRUE(f->expiresAt.has_value());
  EXPECT_EQ(*f->expiresAt, kT0 + 1000);
  EXPECT_FALSE(f->revokedAt.has_value());
  EXPECT_FALSE(store_->findTokenBySha256(h1)->expiresAt.has_value());
  EXPECT_EQ(store_->findTokenBySha256(h3).error().code, ErrorCode::kNotFound);

  // Same id or same hash: conflict, nothing written.
  auto dupId = store_->insertToken(TokenRecord{"tok-1", "carol", "", h3, kT0, {}, {}, {}});
  ASSERT_FALSE(dupId);
  EXPECT_EQ(dupId.error().code, ErrorCode::kConflict);
  auto dupHash = store_->insertToken(TokenRecord{"tok-3", "carol", "", h1, kT0, {}, {}, {}});
  ASSERT_FALSE(dupHash);
  EXPECT_EQ(dupHash.error().code, ErrorCode::kConflict);
  EXPECT_EQ(store_->findTokenBySha256(h3).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->insertToken(TokenRecord{"", "x", "", h3, kT0, {}, {}, {}}).error().code, ErrorCode::kInvalid);

  auto all = store_->listTokens(std::nullopt);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "tok-1");
  auto bobs = store_->listTokens(std::string("bob"));
  ASSERT_TRUE(bobs);
  ASSERT_EQ(bobs->size(), 1u);
  EXPECT_EQ((*bobs)[0].id, "tok-2");

  auto rv = store_->revokeToken("tok-1", kT0 + 50);
  ASSERT_TRUE(rv) << rv.error().describe();
  ASSERT_TRUE(rv->revokedAt.has_value());
  EXPECT_EQ(*rv->revokedAt, kT0 + 50);
  // Revocation is visible at once, also to another connection.
  auto other = reopen();
  ASSERT_TRUE(other);
  auto seen = other->findTokenBySha256(h1);
  ASSERT_TRUE(seen);
  ASSERT_TRUE(seen->revokedAt.has_value());
  // Revoking again keeps the first time.
  auto again = store_->revokeToken("tok-1", kT0 + 900);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again->revokedAt, kT0 + 50);
  EXPECT_EQ(store_->revokeToken("tok-nope", kT0).error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(store_->findTokenBySha256(h2)->revokedAt.has_value());

  // touchToken: last_used_at only moves forward; unknown id kNotFound.
  EXPECT_FALSE(store_->findTokenBySha256(h2)->lastUsedAt.has_value());
  ASSERT_TRUE(store_->touchToken("tok-2", kT0 + 100));
  EXPECT_EQ(store_->findTokenBySha256(h2)->lastUsedAt, std::optional<int64_t>(kT0 + 100));
  ASSERT_TRUE(store_->touchToken("tok-2", kT0 + 60)) << "an older time is fine and changes nothing";
  EXPECT_EQ(store_->findTokenBySha256(h2)->lastUsedAt, std::optional<int64_t>(kT0 + 100));
  ASSERT_TRUE(store_->touchToken("tok-2", kT0 + 200));
  EXPECT_EQ(reopen()->findTokenBySha256(h2)->lastUsedAt, std::optional<int64_t>(kT0 + 200));
  EXPECT_FALSE(store_->findTokenBySha256(h1)->lastUsedAt.has_value()) << "only the token touched";
  EXPECT_EQ(store_->touchToken("tok-nope", kT0).error().code, ErrorCode::kNotFound);
}

TEST_P(StoreConformance, ConcurrentTokenInsertsOfOneHashHaveOneWinner) {
  constexpr int kThreads = 6;
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < kThreads; ++i) stores.push_back(reopen());
  std::barrier start(kThreads);
  std::atomic<int> wins{0}, conflicts{0};
  std::vector<std::thread> threads;
  std::string h = sha256Hex("shared");
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      auto r = stores[i]->insertToken(TokenRecord{"tok-c" + std::to_string(i), "admin", "", h, kT0, {}, {}, {}});
      if (r) ++wins;
      else if (r.error().code == ErrorCode::kConflict) ++conflicts;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(conflicts.load(), kThreads - 1);
  EXPECT_EQ(store_->listTokens(std::nullopt)->size(), 1u);
}

// ------------------------------------------------------------ infrastructure (issue 9)

TEST_P(StoreConformance, InfraStateCompareAndSwapOnSerial) {
  auto none = store_->getInfraState("shop", "prod", "us-east-1");
  ASSERT_TRUE(none) << none.error().describe();
  EXPECT_FALSE(none->has_value());

  InfraStateRecord r;
  r.project = "shop";
  r.env = "prod";
  r.region = "us-east-1";
  r.lineage = "lin-1";
  r.resources = Json{{"aws_lb.web[us-east-1]", Json{{"id", "arn:1"}}}};
  r.updatedAt = kT0;
  // First write must name serial 0.
  InfraStateRecord wrongFirst = r;
  auto early = store_->putInfraState(wrongFirst, 3);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, ErrorCode::kConflict);
  ASSERT_TRUE(store_->putInfraState(r, 0));
  EXPECT_EQ(r.serial, 1);

  // A second writer that read serial 0 is refused, naming both serials and the region.
  InfraStateRecord stale = r;
  stale.resources = Json::object();
  auto refused = store_->putInfraState(stale, 0);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  EXPECT_TRUE(contains(refused.error().describe(), "us-east-1")) << refused.error().describe();
  EXPECT_TRUE(contains(refused.error().message, "serial 1")) << refused.error().message;

  // Same serial, other lineage: refused (cross-environment overwrite guard).
  InfraStateRecord other = r;
  other.lineage = "lin-2";
  auto lin = store_->putInfraState(other, 1);
  ASSERT_FALSE(lin);
  EXPECT_EQ(lin.error().code, ErrorCode::kConflict);
  EXPECT_TRUE(contains(lin.error().message, "lineage")) << lin.error().message;

  // The right serial wins and bumps it.
  r.resources["aws_sns_topic.alerts[us-east-1]"] = Json{{"id", "arn:2"}};
  ASSERT_TRUE(store_->putInfraState(r, 1));
  EXPECT_EQ(r.serial, 2);
  auto got = store_->getInfraState("shop", "prod", "us-east-1");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->serial, 2);
  EXPECT_EQ((*got)->lineage, "lin-1");
  EXPECT_EQ((*got)->resources, r.resources);

  // Global state ("") and other regions are separate rows; listing by region.
  InfraStateRecord global = r;
  global.region = "";
  global.resources = Json::object();
  ASSERT_TRUE(store_->putInfraState(global, 0));
  InfraStateRecord west = r;
  west.region = "eu-west-1";
  ASSERT_TRUE(store_->putInfraState(west, 0));
  InfraStateRecord otherEnv = r;
  otherEnv.env = "int";
  ASSERT_TRUE(store_->putInfraState(otherEnv, 0));
  auto all = store_->listInfraStates("shop", "prod");
  ASSERT_TRUE(all) << all.error().describe();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].region, "");
  EXPECT_EQ((*all)[1].region, "eu-west-1");
  EXPECT_EQ((*all)[2].region, "us-east-1");

  InfraStateRecord bad = r;
  bad.lineage = "";
  auto inv = store_->putInfraState(bad, 2);
  ASSERT_FALSE(inv);
  EXPECT_EQ(inv.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(inv.error().where, "lineage");
}

TEST_P(StoreConformance, InfraStateConcurrentWritersOfOneSerialHaveOneWinner) {
  InfraStateRecord r;
  r.project = "shop";
  r.env = "prod";
  r.region = "us-east-1";
  r.lineage = "lin";
  ASSERT_TRUE(store_->putInfraState(r, 0));
  constexpr int kThreads = 6;
  std::atomic<int> wins{0}, conflicts{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto s = reopen();
      if (!s) return;
      InfraStateRecord mine = r;
      mine.resources = Json{{"writer", i}};
      auto st = s->putInfraState(mine, 1);
      if (st) ++wins;
      else if (st.error().code == ErrorCode::kConflict) ++conflicts;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(conflicts.load(), kThreads - 1);
  EXPECT_EQ((*store_->getInfraState("shop", "prod", "us-east-1"))->serial, 2);
}

TEST_P(StoreConformance, InfraJournalListsOpenIntents) {
  auto entry = [](const std::string& apply, const std::string& env, const std::string& address) {
    InfraJournalRecord e;
    e.applyId = apply;
    e.project = "shop";
    e.env = env;
    e.region = "us-east-1";
    e.address = address;
    e.action = "create";
    e.clientToken = "tok-" + address;
    e.status = "intent";
    e.detail = Json{{"desired", Json{{"name", address}}}};
    e.at = kT0;
    return e;
  };
  auto a = store_->appendInfraJournal(entry("ap-1", "prod", "aws_lb.a"));
  auto b = store_->appendInfraJournal(entry("ap-1", "prod", "aws_lb.b"));
  auto c = store_->appendInfraJournal(entry("ap-2", "prod", "aws_lb.c"));
  auto d = store_->appendInfraJournal(entry("ap-3", "int", "aws_lb.d"));
  ASSERT_TRUE(a && b && c && d);
  EXPECT_LT(*a, *b);
  EXPECT_LT(*b, *c);
  ASSERT_TRUE(store_->updateInfraJournal(*a, "done", Json{{"id", "arn:a"}}, kT0 + 5));
  ASSERT_TRUE(store_->updateInfraJournal(*c, "failed", Json{{"error", "boom"}}, kT0 + 6));

  auto open = store_->listInfraJournal("shop", "prod", true);
  ASSERT_TRUE(open) << open.error().describe();
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ((*open)[0].address, "aws_lb.b");
  EXPECT_EQ((*open)[0].clientToken, "tok-aws_lb.b");
  EXPECT_EQ((*open)[0].detail["desired"]["name"], "aws_lb.b");

  auto all = store_->listInfraJournal("shop", "prod", false);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].status, "done");
  EXPECT_EQ((*all)[0].detail["id"], "arn:a");
  EXPECT_EQ((*all)[0].at, kT0 + 5);
  EXPECT_EQ((*all)[2].status, "failed");

  auto one = store_->listInfraJournal("shop", "prod", false, std::string("ap-2"));
  ASSERT_TRUE(one);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].address, "aws_lb.c");

  auto missing = store_->updateInfraJournal(*d + 1000, "done", Json::object(), kT0);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  auto bad = store_->appendInfraJournal(entry("", "prod", "x"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().where, "apply_id");
}

// ------------------------------------------------------ config of record

namespace {

ConfigVersionRecord configVersion(const std::string& state, int64_t base, const std::string& text) {
  ConfigVersionRecord r;
  r.state = state;
  r.baseVersion = base;
  r.digest = "sha256:" + sha256Hex(text);
  r.pushedBy = "alice";
  r.pushedAt = kT0 + base;
  r.updatedAt = r.pushedAt;
  r.gitCommit = std::string(40, 'c');
  r.gitDirty = true;
  r.message = "push " + text;
  r.files = Json::array({Json{{"name", "ramp.yaml"}, {"text", text}}});
  r.doc = Json{{"summary", "s-" + text}};
  return r;
}

}  // namespace

TEST_P(StoreConformance, ConfigVersionsAppendInForceAndSupersede) {
  auto none = store_->configVersionInForce();
  ASSERT_TRUE(none) << none.error().describe();
  EXPECT_FALSE(none->has_value());

  auto first = configVersion("in_force", 0, "one");
  ASSERT_TRUE(store_->appendConfigVersion(first)) << "first push";
  EXPECT_EQ(first.version, 1);
  EXPECT_EQ(first.revision, 1);

  // Pushed on top of a version that is not in force: refused, nothing written.
  auto stale = configVersion("in_force", 0, "two");
  auto refused = store_->appendConfigVersion(stale);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  EXPECT_TRUE(contains(refused.error().message, "config version 1 is in force")) << refused.error().message;

  auto second = configVersion("in_force", 1, "two");
  ASSERT_TRUE(store_->appendConfigVersion(second));
  EXPECT_EQ(second.version, 2);

  auto inForce = store_->configVersionInForce();
  ASSERT_TRUE(inForce && inForce->has_value());
  const auto& v = **inForce;
  EXPECT_EQ(v.version, 2);
  EXPECT_EQ(v.state, "in_force");
  EXPECT_EQ(v.baseVersion, 1);
  EXPECT_EQ(v.digest, second.digest);
  EXPECT_EQ(v.pushedBy, "alice");
  EXPECT_EQ(v.pushedAt, second.pushedAt);
  EXPECT_EQ(v.gitCommit.value_or(""), std::string(40, 'c'));
  EXPECT_EQ(v.gitDirty.value_or(false), true);
  EXPECT_EQ(v.message, "push two");
  EXPECT_EQ(v.files[0]["text"], "two");
  EXPECT_EQ(v.doc["summary"], "s-two");

  auto one = store_->getConfigVersion(1);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->state, "superseded");
  auto missing = store_->getConfigVersion(99);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().where, "version");

  auto list = store_->listConfigVersions({}, 10);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].version, 2);
  EXPECT_EQ((*list)[1].version, 1);
  auto superseded = store_->listConfigVersions({"superseded"}, 10);
  ASSERT_TRUE(superseded);
  ASSERT_EQ(superseded->size(), 1u);
  EXPECT_EQ((*superseded)[0].version, 1);
  auto limited = store_->listConfigVersions({}, 1);
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->size(), 1u);

  auto bad = configVersion("in_force", 2, "three");
  bad.digest.clear();
  auto refusedBad = store_->appendConfigVersion(bad);
  ASSERT_FALSE(refusedBad);
  EXPECT_EQ(refusedBad.error().where, "digest");
  auto badState = configVersion("superseded", 2, "three");
  ASSERT_FALSE(store_->appendConfigVersion(badState));
  EXPECT_EQ(store_->listConfigVersions({}, 10)->size(), 2u);
}

TEST_P(StoreConformance, ConfigVersionsPendingUntilDecided) {
  auto first = configVersion("in_force", 0, "one");
  ASSERT_TRUE(store_->appendConfigVersion(first));
  auto pending = configVersion("pending", 1, "two");
  ASSERT_TRUE(store_->appendConfigVersion(pending));
  EXPECT_EQ(pending.version, 2);
  EXPECT_EQ((*store_->configVersionInForce())->version, 1) << "a pending version takes no effect";

  // An approval recorded: still pending, revision moves on.
  auto read = *store_->getConfigVersion(2);
  read.doc["approvals"] = Json::array({"bob"});
  ASSERT_TRUE(store_->updateConfigVersion(read));
  EXPECT_EQ(read.revision, 2);
  // A writer that read revision 1 loses.
  auto old = pending;
  old.doc["approvals"] = Json::array({"carol"});
  auto lost = store_->updateConfigVersion(old);
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().code, ErrorCode::kConflict);

  // In force once approved: the base is superseded in the same step.
  read.state = "in_force";
  ASSERT_TRUE(store_->updateConfigVersion(read)) << "approved";
  EXPECT_EQ((*store_->configVersionInForce())->version, 2);
  EXPECT_EQ(store_->getConfigVersion(1)->state, "superseded");
  EXPECT_EQ(store_->getConfigVersion(2)->doc["approvals"][0], "bob");

  // No longer pending: no more decisions.
  read.state = "rejected";
  auto done = store_->updateConfigVersion(read);
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ErrorCode::kFailedPrecondition);

  // A pending version whose base was replaced meanwhile cannot take effect.
  auto onOne = configVersion("pending", 2, "three");
  ASSERT_TRUE(store_->appendConfigVersion(onOne));
  auto newer = configVersion("in_force", 2, "four");
  ASSERT_TRUE(store_->appendConfigVersion(newer));
  auto late = *store_->getConfigVersion(onOne.version);
  late.state = "in_force";
  auto refused = store_->updateConfigVersion(late);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  EXPECT_EQ((*store_->configVersionInForce())->version, newer.version);
  late.state = "stale";
  ASSERT_TRUE(store_->updateConfigVersion(late));
  EXPECT_EQ(store_->getConfigVersion(onOne.version)->state, "stale");
  auto unknown = late;
  unknown.version = 77;
  ASSERT_EQ(store_->updateConfigVersion(unknown).error().code, ErrorCode::kNotFound);
}

TEST_P(StoreConformance, ConfigVersionsConcurrentPushesOfOneBaseHaveOneWinner) {
  auto first = configVersion("in_force", 0, "one");
  ASSERT_TRUE(store_->appendConfigVersion(first));
  constexpr int kThreads = 6;
  std::atomic<int> wins{0}, conflicts{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto s = reopen();
      if (!s) return;
      auto mine = configVersion("in_force", 1, "writer-" + std::to_string(i));
      auto st = s->appendConfigVersion(mine);
      if (st) ++wins;
      else if (st.error().code == ErrorCode::kConflict) ++conflicts;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(conflicts.load(), kThreads - 1);
  auto all = store_->listConfigVersions({}, 100);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 2u);
  EXPECT_EQ(store_->listConfigVersions({"in_force"}, 100)->size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

// ------------------------------------------------------------ opening

TEST(StoreOpen, BadUrlsGiveClearErrors) {
  auto empty = openStore("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalid);

  auto scheme = openStore("mongodb://admin:hunter2@localhost/x");
  ASSERT_FALSE(scheme);
  EXPECT_TRUE(contains(scheme.error().message, "mongodb"));
  EXPECT_FALSE(contains(scheme.error().describe(), "hunter2"));

  auto nodir = openStore("sqlite:///nonexistent-ramp-dir/state.db");
  ASSERT_FALSE(nodir);
  EXPECT_TRUE(contains(nodir.error().describe(), "/nonexistent-ramp-dir")) << nodir.error().describe();
  EXPECT_TRUE(contains(nodir.error().message, "does not exist")) << nodir.error().message;

  fs::path dir = scratchDir();
  auto isDir = openStore(dir.string());
  ASSERT_FALSE(isDir);
  EXPECT_TRUE(contains(isDir.error().describe(), dir.string()));

  fs::path garbage = dir / "garbage.db";
  std::ofstream(garbage) << std::string(8192, 'g');
  auto notDb = openStore(garbage.string());
  ASSERT_FALSE(notDb);
  EXPECT_TRUE(contains(notDb.error().describe(), garbage.string())) << notDb.error().describe();
  EXPECT_TRUE(contains(notDb.error().message, "not a database")) << notDb.error().message;

  // Nothing listens on port 1 of loopback: refused at once, password hidden.
  auto pg = openStore("postgresql://ramp:hunter2@127.0.0.1:1/ramp?connect_timeout=5");
  ASSERT_FALSE(pg);
  EXPECT_EQ(pg.error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(contains(pg.error().describe(), "hunter2")) << pg.error().describe();
  EXPECT_TRUE(contains(pg.error().describe(), "ramp:***@127.0.0.1:1")) << pg.error().describe();
  fs::remove_all(dir);
}

TEST(StoreOpen, SqliteFileIsPrivateAndInWalMode) {
  fs::path dir = scratchDir();
  fs::path db = dir / "state.db";
  auto s = openStore(db.string());
  ASSERT_TRUE(s) << s.error().describe();
  ASSERT_TRUE((*s)->putSetting("a", "b"));
  struct stat st {};
  ASSERT_EQ(::stat(db.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  fs::path wal = dir / "state.db-wal";
  ASSERT_TRUE(fs::exists(wal)) << "WAL mode keeps a -wal file while open";
  ASSERT_EQ(::stat(wal.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ((*s)->kind(), "sqlite");
  s->reset();
  fs::remove_all(dir);
}

}  // namespace
