// The engine's gates and pipeline against fakes and the real SQLite store,
// on a manual clock: approvals (four-eyes, roles, each person once, reject,
// expiry), windows/freezes, pipeline order, promotion and soak, hotfixes and
// their debt, queueing (FIFO, survives a restart), auto-promotion.
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "EngineWorld.h"
#include "core/Clock.h"
#include "engine/Engine.h"
#include "alerts/Notifier.h"
#include "store/Store.h"

using namespace ramp;
using namespace std::chrono_literals;
using nlohmann::json;
using ramp::engine::Phase;

namespace {

WallTime at(const std::string& iso) {
  std::tm tm{};
  strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

// A rendered service config for `env` with an approval policy.
json rendered(const std::string& env, json approval = json::object(), const std::string& soak = "0s",
              bool autoPromote = false, json strategy = json::object()) {
  if (strategy.empty()) strategy = {{"type", "bluegreen"}, {"bake", "0s"}, {"deadline", "10s"}};
  return {{"service", "crawler"},
          {"env", env},
          {"region", "local"},
          {"environment", {{"approval", approval}, {"soak", soak}, {"auto_promote", autoPromote}}},
          {"run", {{"command", "bin/crawler"}, {"args", json::array()}, {"env", json::object()}}},
          {"health", {{"path", "/healthz"}, {"interval", "100ms"}, {"timeout", "500ms"}}},
          {"instances", 1},
          {"config_digest", "sha256:" + env},
          {"strategy", strategy}};
}

json approvals(int n, json extra = json::object()) {
  json a = {{"approvals", n}, {"roles", json::array()}, {"window", nullptr}, {"freeze", json::array()},
            {"expires", nullptr}};
  for (auto& [k, v] : extra.items()) a[k] = v;
  return a;
}

const std::set<std::string> kApprover{"approver"};

class GatesTest : public fakes::EngineWorld {
 protected:
  void SetUp() override {
    clock.advance(at("2026-11-26T10:00:00Z") - clock.now());  // a Thursday
    EngineWorld::SetUp();
  }
  // `actor` deploys crawler `version` to `env` of the pipeline int, uat, prod.
  static engine::DeployRequest request(const std::string& env, const std::string& version, json r,
                                       const std::string& actor = "alice") {
    auto q = EngineWorld::request(version, std::move(r));
    q.env = env;
    q.configDigest = "sha256:" + env;
    q.actor = actor;
    q.pipeline = {"int", "uat", "prod"};
    return q;
  }
  void ticks(int n = 20) {
    for (int i = 0; i < n; ++i) {
      auto t = engine->tick();
      EXPECT_TRUE(t.has_value()) << t.error().describe();
      clock.advance(100ms);
    }
  }
  engine::Deployment get(const std::string& id) {
    auto d = engine->get(id);
    EXPECT_TRUE(d.has_value());
    return *d;
  }
  // Deploys `version` to int and returns its id once succeeded.
  std::string ship(const std::string& env, const std::string& version, json r) {
    auto d = engine->submit(request(env, version, r));
    EXPECT_TRUE(d.has_value()) << d.error().describe();
    if (!d) return "";
    ticks();
    EXPECT_EQ(get(d->id).state, "succeeded") << get(d->id).reason;
    return d->id;
  }
  // The data of the first event `kind` of deployment `id` (null: none).
  json eventOf(const std::string& id, const std::string& kind) {
    auto found = events(id, kind);
    return found.empty() ? json(nullptr) : found.front().data;
  }
};

TEST_F(GatesTest, ADeploymentNeedingApprovalWaitsAndStartsOnlyWhenApprovedByAnotherPerson) {
  auto d = engine->submit(request("int", "1.0.0", rendered("int", approvals(1, {{"roles", {"approver"}}}))));
  ASSERT_TRUE(d.has_value()) << d.error().describe();
  EXPECT_EQ(d->state, "awaiting_approval");
  ticks();
  EXPECT_EQ(get(d->id).state, "awaiting_approval");
  EXPECT_EQ(fleets.creates, 0);  // nothing started

  auto own = engine->approve(d->id, "alice", {"approver", "admin"}, "");
  ASSERT_FALSE(own.has_value());
  EXPECT_EQ(own.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(own.error().message.find("four-eyes"), std::string::npos);
  auto deployer = engine->approve(d->id, "dave", {"deployer", "viewer"}, "");
  ASSERT_FALSE(deployer.has_value());
  EXPECT_EQ(deployer.error().code, ErrorCode::kPermissionDenied);

  auto ok = engine->approve(d->id, "bob", kApprover, "looks good");
  ASSERT_TRUE(ok.has_value()) << ok.error().describe();
  EXPECT_EQ(ok->phase, Phase::kStart);
  ticks();
  EXPECT_EQ(get(d->id).state, "succeeded");
  auto kinds = kindsOf(d->id);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "approval.requested"), kinds.end());
  auto granted = eventOf(d->id, "approval.granted");
  ASSERT_TRUE(granted.is_object());
  EXPECT_EQ(granted["by"], "bob");
  EXPECT_EQ(granted["approvals"], 1);
  EXPECT_EQ(granted["required"], 1);
  EXPECT_EQ(granted["comment"], "looks good");
}

TEST_F(GatesTest, TwoApprovalsFromTwoDistinctPeople) {
  auto d = engine->submit(request("int", "1.0.0", rendered("int", approvals(2))));
  ASSERT_TRUE(d.has_value());
  ASSERT_TRUE(engine->approve(d->id, "bob", kApprover, "").has_value());
  auto again = engine->approve(d->id, "bob", kApprover, "");
  ASSERT_FALSE(again.has_value());
  EXPECT_NE(again.error().message.find("counts once"), std::string::npos);
  EXPECT_EQ(get(d->id).state, "awaiting_approval");
  auto status = engine->status("crawler", "int");
  ASSERT_TRUE(status.has_value());
  const auto a = (*status)[0].deployment.approval.toApiJson();
  EXPECT_EQ(a["approvals_count"], 1);
  EXPECT_EQ(a["roles"], json::array({"approver"}));
  EXPECT_EQ(a["approvals"][0]["by"], "bob");
  auto second = engine->approve(d->id, "carol", kApprover, "");
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->phase, Phase::kStart);
}

TEST_F(GatesTest, RejectNeedsACommentAndEndsItAborted) {
  auto d = engine->submit(request("int", "1.0.0", rendered("int", approvals(1))));
  ASSERT_TRUE(d.has_value());
  auto bare = engine->reject(d->id, "bob", kApprover, " ");
  ASSERT_FALSE(bare.has_value());
  EXPECT_EQ(bare.error().where, "comment");
  auto r = engine->reject(d->id, "bob", kApprover, "not during the sale");
  ASSERT_TRUE(r.has_value()) << r.error().describe();
  EXPECT_EQ(r->state, "aborted");
  EXPECT_EQ(r->reason, "rejected by bob: not during the sale");
  ticks();
  EXPECT_EQ(fleets.creates, 0);
  EXPECT_FALSE(engine->approve(d->id, "carol", kApprover, "").has_value());
  EXPECT_TRUE(eventOf(d->id, "approval.rejected").is_object());
}

TEST_F(GatesTest, APendingRequestExpiresWithItsReason) {
  auto d = engine->submit(request("int", "1.0.0", rendered("int", approvals(1, {{"expires", "1h"}}))));
  ASSERT_TRUE(d.has_value());
  clock.advance(59min);
  ticks(1);
  EXPECT_EQ(get(d->id).state, "awaiting_approval");
  clock.advance(2min);
  ticks(1);
  auto e = get(d->id);
  EXPECT_EQ(e.state, "aborted");
  EXPECT_NE(e.reason.find("expired"), std::string::npos) << e.reason;
  EXPECT_NE(e.reason.find("0 of 1"), std::string::npos) << e.reason;
  EXPECT_EQ(fleets.creates, 0);
  EXPECT_TRUE(eventOf(d->id, "approval.expired").is_object());
}

TEST_F(GatesTest, AFreezeRefusesAtSubmitAndAnApprovedDeploymentWaitsForTheWindow) {
  clock.advance(at("2026-11-27T15:30:00Z") - clock.now());  // Friday 16:30 in Berlin
  json freeze = json::array({{{"days", {"fri"}}, {"hours", "16:00-24:00"}, {"timezone", "Europe/Berlin"}}});
  auto refused = engine->submit(request("int", "1.0.0", rendered("int", approvals(0, {{"freeze", freeze}}))));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().where, "env");
  EXPECT_NE(refused.error().message.find("freeze[0] (fri 16:00-24:00 Europe/Berlin)"), std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("opens at 2026-11-27T23:00:00.000Z"), std::string::npos)
      << refused.error().message;

  auto d = engine->submit(request("int", "1.0.0", rendered("int", approvals(1, {{"freeze", freeze}}))));
  ASSERT_TRUE(d.has_value()) << d.error().describe();
  auto ok = engine->approve(d->id, "bob", kApprover, "");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->phase, Phase::kWindow);
  EXPECT_EQ(ok->state, "queued");
  ticks();
  EXPECT_EQ(fleets.creates, 0);
  clock.advance(at("2026-11-27T23:00:00Z") - clock.now());
  ticks();
  EXPECT_EQ(get(d->id).state, "succeeded");
}

TEST_F(GatesTest, LaterStagesTakeOnlyWhatSucceededInTheStageBefore) {
  auto uat = engine->submit(request("uat", "1.0.0", rendered("uat")));
  ASSERT_FALSE(uat.has_value());
  EXPECT_EQ(uat.error().where, "version");
  EXPECT_NE(uat.error().message.find("has not succeeded in int"), std::string::npos) << uat.error().message;
  ship("int", "1.0.0", rendered("int"));
  ship("uat", "1.0.0", rendered("uat"));  // now allowed
  // The environment outside the pipeline is free.
  auto q = request("sandbox", "2.0.0", rendered("sandbox"));
  EXPECT_TRUE(engine->submit(q).has_value());
}

TEST_F(GatesTest, PromotionTakesTheReleaseThatSucceededAndWaitsForTheSoak) {
  auto none = engine->promote(request("uat", "", rendered("uat")));
  ASSERT_FALSE(none.has_value());
  EXPECT_NE(none.error().message.find("nothing to promote"), std::string::npos);
  auto first = engine->promote(request("int", "", rendered("int")));
  ASSERT_FALSE(first.has_value());
  EXPECT_EQ(first.error().where, "to");

  ship("int", "1.0.0", rendered("int", json::object(), "10m"));
  auto early = engine->promote(request("uat", "", rendered("uat")));
  ASSERT_FALSE(early.has_value());
  EXPECT_EQ(early.error().where, "soak");
  EXPECT_NE(early.error().message.find("remain"), std::string::npos) << early.error().message;
  clock.advance(10min);
  auto p = engine->promote(request("uat", "", rendered("uat")));
  ASSERT_TRUE(p.has_value()) << p.error().describe();
  EXPECT_EQ(p->version, "1.0.0");
  EXPECT_EQ(p->digest, releases.find("crawler", "1.0.0")->digest);
  EXPECT_EQ(p->promotedFrom, "int");
  ticks();
  EXPECT_EQ(get(p->id).state, "succeeded");
  // A release whose files changed is refused before anything starts.
  clock.advance(1h);
  releases.tampered.insert("1.0.0");
  auto changed = engine->promote(request("prod", "", rendered("prod")));
  ASSERT_FALSE(changed.has_value());
  EXPECT_NE(changed.error().message.find("changed on disk"), std::string::npos);
}

TEST_F(GatesTest, AHotfixSkipsThePipelineNeedsAReasonAndLeavesDebtUntilPromotedBack) {
  ship("int", "1.0.0", rendered("int"));
  auto noReason = request("prod", "2.0.0", rendered("prod"));
  noReason.hotfix = true;
  auto r = engine->submit(noReason);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().where, "reason");
  auto hot = noReason;
  hot.hotfixReason = "CVE-2026-1234";
  auto h = engine->submit(hot);
  ASSERT_TRUE(h.has_value()) << h.error().describe();
  EXPECT_TRUE(h->hotfix);
  auto created = eventOf(h->id, "deployment.created");
  EXPECT_EQ(created["hotfix"], true);
  EXPECT_EQ(created["hotfix_reason"], "CVE-2026-1234");
  ticks();
  ASSERT_EQ(get(h->id).state, "succeeded");
  auto debt = engine->hotfixDebt("crawler");
  ASSERT_TRUE(debt.has_value());
  ASSERT_EQ(debt->size(), 1u);
  EXPECT_EQ((*debt)[0].missing, (std::vector<std::string>{"int", "uat"}));
  auto status = engine->status("crawler", "prod");
  ASSERT_TRUE(status.has_value());
  ASSERT_EQ((*status)[0].hotfixDebt.size(), 1u);
  EXPECT_EQ((*status)[0].hotfixDebt[0].toJson()["missing"], json::array({"int", "uat"}));
  EXPECT_TRUE((*status)[0].deployment.hotfix);
  // Back-promotion: into int (the first stage is free), then promote to uat.
  ship("int", "2.0.0", rendered("int"));
  EXPECT_EQ((*engine->hotfixDebt("crawler"))[0].missing, std::vector<std::string>{"uat"});
  auto back = engine->promote(request("uat", "", rendered("uat")));
  ASSERT_TRUE(back.has_value()) << back.error().describe();
  EXPECT_EQ(back->version, "2.0.0");
  ticks();
  EXPECT_TRUE(engine->hotfixDebt("crawler")->empty());
}

TEST_F(GatesTest, AHotfixUsesTheHotfixStepsAndStillNeedsProdsApprovals) {
  json canary = {{"type", "canary"},
                 {"bake", "0s"},
                 {"deadline", "10s"},
                 {"steps", {{{"weight", 10}}, {{"weight", 50}}, {{"weight", 100}}}},
                 {"hotfix_steps", {{{"weight", 50}}, {{"weight", 100}}}}};
  auto hot = request("prod", "2.0.0", rendered("prod", approvals(1), "0s", false, canary));
  hot.hotfix = true;
  hot.hotfixReason = "CVE-2026-1234";
  auto h = engine->submit(hot);
  ASSERT_TRUE(h.has_value()) << h.error().describe();
  EXPECT_EQ(h->stepNames, (std::vector<std::string>{"weight 50", "weight 100"}));
  EXPECT_EQ(h->state, "awaiting_approval");  // prod's policy still applies
}

TEST_F(GatesTest, AwaitingApprovalAndHotfixStartedAlertThroughTheNotifier) {
  json r = rendered("prod", approvals(1));
  r["alerts"] = json::array({{{"webhook", "http://127.0.0.1:9/hook"}, {"secret", nullptr}}});
  auto hot = request("prod", "2.0.0", r);
  hot.hotfix = true;
  hot.hotfixReason = "CVE-2026-1234";
  auto h = engine->submit(hot);
  ASSERT_TRUE(h.has_value()) << h.error().describe();
  store::AuditFilter f;
  f.deploymentId = h->id;
  auto events = st->listEvents(f);
  ASSERT_TRUE(events.has_value());
  std::set<std::string> alerts;
  for (const auto& e : *events) {
    if (auto a = alerts::Notifier::alertFor(e, r)) alerts.insert(a->event);
  }
  EXPECT_TRUE(alerts.contains("approval.requested"));
  EXPECT_TRUE(alerts.contains("hotfix.started"));
}

TEST_F(GatesTest, QueuedDeploymentsStartInOrderAndSurviveARestart) {
  auto a = engine->submit(request("int", "1.0.0", rendered("int")));
  ASSERT_TRUE(a.has_value());
  auto refused = engine->submit(request("int", "2.0.0", rendered("int")));
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("--queue"), std::string::npos);
  auto qb = request("int", "2.0.0", rendered("int"));
  qb.queue = true;
  auto b = engine->submit(qb);
  ASSERT_TRUE(b.has_value()) << b.error().describe();
  EXPECT_EQ(b->state, "queued");
  EXPECT_EQ(b->phase, Phase::kQueue);
  auto qc = request("int", "3.0.0", rendered("int"));
  qc.queue = true;
  auto c = engine->submit(qc);
  ASSERT_TRUE(c.has_value());
  auto status = engine->status("crawler", "int");
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ((*status)[0].deployment.id, a->id);
  ASSERT_EQ((*status)[0].queue.size(), 2u);
  EXPECT_EQ((*status)[0].queue[0].id, b->id);
  // A restarted controller (a fresh engine) keeps the queue.
  engine = makeEngine();
  ticks(3);
  EXPECT_EQ(get(a->id).state, "succeeded");
  ticks(20);
  EXPECT_EQ(get(b->id).state, "succeeded");
  ticks(20);
  EXPECT_EQ(get(c->id).state, "succeeded");
  // Started in order: each one's first phase event comes after the one before it finished.
  auto startedAt = [&](const std::string& id) {
    store::AuditFilter f;
    f.deploymentId = id;
    auto events = st->listEvents(f);
    for (auto& e : *events)
      if (e.kind == "deployment.phase" && e.data.value("phase", "") == "create_fleet") return e.seq;
    return int64_t{-1};
  };
  auto finishedSeq = [&](const std::string& id) {
    store::AuditFilter f;
    f.deploymentId = id;
    auto events = st->listEvents(f);
    for (auto& e : *events)
      if (e.kind == "deployment.finished") return e.seq;
    return int64_t{-1};
  };
  EXPECT_GT(startedAt(b->id), finishedSeq(a->id));
  EXPECT_GT(startedAt(c->id), finishedSeq(b->id));
  EXPECT_GT(finishedSeq(a->id), 0);
  EXPECT_EQ(traffic.weightOf("crawler", get(c->id).newFleet), 100);
}

TEST_F(GatesTest, AnEnvironmentWithAutoPromoteHandsItsReleaseToTheNextStageAfterTheSoak) {
  auto q = request("int", "1.0.0", rendered("int", json::object(), "5m", true));
  q.laterStages = {{"uat", rendered("uat", approvals(1))}, {"prod", rendered("prod", approvals(1))}};
  auto d = engine->submit(q);
  ASSERT_TRUE(d.has_value());
  ticks();
  ASSERT_EQ(get(d->id).state, "succeeded");
  EXPECT_TRUE(engine->list("crawler", "uat", 10)->empty());  // still soaking
  clock.advance(5min);
  ticks(2);
  auto uat = engine->list("crawler", "uat", 10);
  ASSERT_EQ(uat->size(), 1u);
  const auto& p = (*uat)[0];
  EXPECT_EQ(p.version, "1.0.0");
  EXPECT_EQ(p.promotedFrom, "int");
  EXPECT_EQ(p.state, "awaiting_approval");  // uat's policy applies to auto-promotions
  EXPECT_EQ(p.createdBy, "ramp");
  EXPECT_TRUE(p.laterStages.contains("prod"));
  EXPECT_FALSE(p.laterStages.contains("uat"));
  EXPECT_EQ(get(d->id).autoPromotedTo, p.id);
  ticks(5);
  EXPECT_EQ(engine->list("crawler", "uat", 10)->size(), 1u);  // once, not every tick
}

TEST_F(GatesTest, AbortingAWaitingDeploymentEndsItWithoutStarting) {
  auto d = engine->submit(request("int", "1.0.0", rendered("int", approvals(1))));
  ASSERT_TRUE(d.has_value());
  auto pause = engine->control("crawler", "int", "pause", "alice");
  EXPECT_FALSE(pause.has_value());
  auto a = engine->control("crawler", "int", "abort", "alice");
  ASSERT_TRUE(a.has_value()) << a.error().describe();
  EXPECT_EQ(a->state, "aborted");
  ticks();
  EXPECT_EQ(fleets.creates, 0);
}

}  // namespace
