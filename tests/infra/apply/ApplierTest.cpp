// ApplierTest — apply: dependency order, state and journal written per
// change, per-family concurrency, partial failures and region waves, stale
// plans, whole-region destroys, the lease, and resuming a killed apply.
#include <algorithm>
#include <thread>

#include <gtest/gtest.h>

#include "ApplyWorld.h"
#include "infra/ApplyLock.h"
#include "infra/ResourceJson.h"

using namespace ramp;
using namespace ramp::infra;
using namespace ramp::infra::test;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

size_t indexOf(const std::vector<std::string>& v, const std::string& x) {
  return static_cast<size_t>(std::find(v.begin(), v.end(), x) - v.begin());
}

using Apply = ApplyWorld;

TEST_F(Apply, CreatesInDependencyOrderJournalsEachChangeAndSavesState) {
  auto lb = res("aws_lb", "web", "us-east-1");
  auto listener = res("aws_lb_listener", "web-http", "us-east-1", {lb.address});
  auto topic = res("aws_sns_topic", "alerts", "us-east-1");
  auto dns = res("aws_route53_record", "web-us-east-1", "", {lb.address});
  Plan p = plan({"us-east-1"}, {create(lb), create(topic), create(listener), create(dns)});
  ApplyOptions o;
  o.clock = &clock_;
  o.actor = "alice";
  auto r = apply(p, provider_, *infra_, o);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_TRUE(r->ok()) << r->toJson().dump(2);
  EXPECT_EQ(r->done, 4);
  // Listener after its load balancer; the global record after the regional wave.
  auto order = provider_.createdOrder;
  EXPECT_LT(indexOf(order, lb.address), indexOf(order, listener.address));
  EXPECT_EQ(order.back(), dns.address);
  // The dependency's id was handed to the dependant.
  EXPECT_EQ(provider_.real.at(listener.address).attributes["parent_id"], provider_.real.at(lb.address).id);

  InfraState regional = state("us-east-1");
  EXPECT_EQ(regional.resources.size(), 3u);
  EXPECT_EQ(regional.serial, 3);  // one CAS write per change
  EXPECT_FALSE(regional.lineage.empty());
  EXPECT_EQ(regional.resources.at(lb.address).id, provider_.real.at(lb.address).id);
  EXPECT_EQ(state("").resources.size(), 1u);

  auto journal = infra_->journalOf("shop", "prod", r->applyId);
  ASSERT_TRUE(journal);
  ASSERT_EQ(journal->size(), 4u);
  for (const auto& e : *journal) {
    EXPECT_EQ(e.status, "done") << e.address;
    EXPECT_TRUE(contains(e.clientToken, "ramp-")) << e.clientToken;
    EXPECT_TRUE(e.detail.contains("desired"));
    EXPECT_TRUE(e.detail.contains("result"));
  }
  EXPECT_TRUE(infra_->openJournal("shop", "prod")->empty());

  store::AuditFilter f;
  f.env = "prod";
  auto events = store_->listEvents(f);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].kind, "infra.applied");
  EXPECT_EQ((*events)[0].actor, "alice");
  EXPECT_EQ((*events)[0].data["plan_digest"], p.digest);
  EXPECT_EQ((*events)[0].data["counts"]["done"], 4);
  // The lease is free again.
  EXPECT_FALSE(store_->getLease("infra/shop/prod")->has_value());
}

TEST_F(Apply, ClientTokenIsDeterministicPerAddressAndAttributes) {
  auto a = res("aws_lb", "web", "us-east-1");
  auto b = a;
  EXPECT_EQ(clientTokenFor(a), clientTokenFor(b));
  b.attributes["idle_timeout"] = 60;
  EXPECT_NE(clientTokenFor(a), clientTokenFor(b));
  auto c = res("aws_lb", "web", "eu-west-1");
  EXPECT_NE(clientTokenFor(a), clientTokenFor(c));
}

TEST_F(Apply, ConcurrencyStaysWithinPerFamilyLimits) {
  std::vector<Change> changes;
  for (int i = 0; i < 8; ++i) changes.push_back(create(res("aws_cloudwatch_alarm", "a" + std::to_string(i), "us-east-1")));
  for (int i = 0; i < 4; ++i) changes.push_back(create(res("aws_sns_topic", "t" + std::to_string(i), "us-east-1")));
  Plan p = plan({"us-east-1"}, changes);
  provider_.callDelayMs = 15;
  ApplyOptions o;
  o.clock = &clock_;
  o.parallelism = 4;
  o.familyLimits = {{"cloudwatch", 3}, {"sns", 1}};
  auto r = apply(p, provider_, *infra_, o);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_TRUE(r->ok());
  EXPECT_LE(provider_.peak("cloudwatch"), 3);
  EXPECT_GE(provider_.peak("cloudwatch"), 2) << "independent changes should run in parallel";
  EXPECT_EQ(provider_.peak("sns"), 1);
  EXPECT_EQ(state("us-east-1").resources.size(), 12u);
}

TEST_F(Apply, PartialFailureIsReportedAndStopsLaterRegionsUnlessToldOtherwise) {
  auto lbE = res("aws_lb", "web", "us-east-1");
  auto lisE = res("aws_lb_listener", "web-http", "us-east-1", {lbE.address});
  auto topicE = res("aws_sns_topic", "alerts", "us-east-1");
  auto lbW = res("aws_lb", "web", "eu-west-1");
  auto dns = res("aws_route53_record", "web", "", {lbE.address, lbW.address});
  provider_.failCreate[lbE.address] = "LoadBalancer quota exceeded";
  Plan p = plan({"us-east-1", "eu-west-1"}, {create(lbE), create(topicE), create(lisE), create(lbW), create(dns)});
  ApplyOptions o;
  o.clock = &clock_;
  auto r = apply(p, provider_, *infra_, o);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_FALSE(r->ok());
  std::map<std::string, ChangeOutcome> by;
  for (const auto& out : r->outcomes) by[out.address] = out;
  EXPECT_EQ(by[lbE.address].status, "failed");
  EXPECT_TRUE(contains(by[lbE.address].message, "LoadBalancer quota exceeded")) << by[lbE.address].message;
  EXPECT_EQ(by[topicE.address].status, "done");  // independent: still done
  EXPECT_EQ(by[lisE.address].status, "skipped");
  EXPECT_TRUE(contains(by[lisE.address].message, lbE.address)) << by[lisE.address].message;
  EXPECT_EQ(by[lbW.address].status, "skipped");  // the next region's wave did not start
  EXPECT_EQ(by[dns.address].status, "skipped");
  EXPECT_EQ(r->regionsFailed, std::vector<std::string>{"us-east-1"});
  EXPECT_EQ(state("us-east-1").resources.size(), 1u);
  EXPECT_TRUE(state("eu-west-1").resources.empty());
  auto journal = infra_->journalOf("shop", "prod", r->applyId);
  ASSERT_TRUE(journal);
  bool failedJournaled = false;
  for (const auto& e : *journal) {
    if (e.address == lbE.address) {
      EXPECT_EQ(e.status, "failed");
      EXPECT_TRUE(contains(e.detail.value("error", ""), "quota")) << e.detail.dump();
      failedJournaled = true;
    }
  }
  EXPECT_TRUE(failedJournaled);

  // Fixed, a re-apply of a fresh plan converges.
  provider_.failCreate.clear();
  Plan again = plan({"us-east-1", "eu-west-1"}, {create(lbE), create(lisE), create(lbW), create(dns)});
  auto r2 = apply(again, provider_, *infra_, o);
  ASSERT_TRUE(r2) << r2.error().describe();
  EXPECT_TRUE(r2->ok()) << r2->toJson().dump(2);
  EXPECT_EQ(state("us-east-1").resources.size(), 3u);
  EXPECT_EQ(state("eu-west-1").resources.size(), 1u);
  EXPECT_EQ(state("").resources.size(), 1u);
}

TEST_F(Apply, ContinueOnRegionFailureRunsTheOtherRegions) {
  auto lbE = res("aws_lb", "web", "us-east-1");
  auto lbW = res("aws_lb", "web", "eu-west-1");
  provider_.failCreate[lbE.address] = "boom";
  Plan p = plan({"us-east-1", "eu-west-1"}, {create(lbE), create(lbW)});
  ApplyOptions o;
  o.clock = &clock_;
  o.continueOnRegionFailure = true;
  auto r = apply(p, provider_, *infra_, o);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->failed, 1);
  EXPECT_EQ(r->done, 1);
  EXPECT_EQ(state("eu-west-1").resources.size(), 1u);
}

TEST_F(Apply, StalePlanIsRefusedNamingTheRegion) {
  auto lb = res("aws_lb", "web", "us-east-1");
  Plan first = plan({"us-east-1"}, {create(lb)});
  Plan saved = plan({"us-east-1"}, {create(res("aws_sns_topic", "alerts", "us-east-1"))});
  ApplyOptions o;
  o.clock = &clock_;
  ASSERT_TRUE(apply(first, provider_, *infra_, o));
  auto r = apply(saved, provider_, *infra_, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(contains(r.error().describe(), "us-east-1")) << r.error().describe();
  EXPECT_TRUE(contains(r.error().message, "stale plan")) << r.error().message;
  EXPECT_EQ(provider_.real.size(), 1u) << "nothing of the stale plan was applied";
}

TEST_F(Apply, DeletingAWholeRegionNeedsAllowDestroy) {
  auto lb = res("aws_lb", "web", "eu-west-1");
  auto topic = res("aws_sns_topic", "alerts", "eu-west-1");
  ApplyOptions o;
  o.clock = &clock_;
  ASSERT_TRUE(apply(plan({"eu-west-1"}, {create(lb), create(topic)}), provider_, *infra_, o));
  InfraState west = state("eu-west-1");
  Plan destroy = plan({}, {remove(west.resources.at(topic.address)), remove(west.resources.at(lb.address))});
  auto refused = apply(destroy, provider_, *infra_, o);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().where, "--allow-destroy");
  EXPECT_TRUE(contains(refused.error().message, "eu-west-1")) << refused.error().message;
  EXPECT_EQ(provider_.real.size(), 2u);

  o.allowDestroy = true;
  auto r = apply(destroy, provider_, *infra_, o);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_TRUE(r->ok());
  EXPECT_TRUE(provider_.real.empty());
  EXPECT_TRUE(state("eu-west-1").resources.empty());
  // Deletes keep the plan's order.
  EXPECT_EQ(provider_.removedOrder, (std::vector<std::string>{topic.address, lb.address}));
}

TEST_F(Apply, HeldLockRefusesAndAnExpiredOneIsTakenOver) {
  auto crashed = store_->acquireLease("infra/shop/prod", "apply-crashed", 30'000, toUnixMillis(clock_.now()));
  ASSERT_TRUE(crashed);
  Plan p = plan({"us-east-1"}, {create(res("aws_lb", "web", "us-east-1"))});
  ApplyOptions o;
  o.clock = &clock_;
  auto r = apply(p, provider_, *infra_, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_TRUE(contains(r.error().message, "apply-crashed")) << r.error().message;
  EXPECT_TRUE(provider_.real.empty());

  clock_.advance(std::chrono::seconds(31));  // the crashed apply's lease expires: no force-unlock
  auto r2 = apply(p, provider_, *infra_, o);
  ASSERT_TRUE(r2) << r2.error().describe();
  EXPECT_TRUE(r2->ok());
}

TEST_F(Apply, LockKeeperRenewsWhileHeld) {
  ApplyLock lock(*infra_, "infra/shop/prod", "me", 60);  // renewed every 20 ms
  ASSERT_TRUE(lock.acquire());
  auto first = store_->getLease("infra/shop/prod");
  ASSERT_TRUE(first && first->has_value());
  clock_.advance(std::chrono::milliseconds(50));
  // Bounded wait for a renewal to move the expiry with the clock.
  bool renewed = false;
  for (int i = 0; i < 200 && !renewed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto l = store_->getLease("infra/shop/prod");
    renewed = l && l->has_value() && (*l)->expiresAt > (*first)->expiresAt;
  }
  EXPECT_TRUE(renewed);
  EXPECT_FALSE(lock.lost());
  lock.release();
  EXPECT_FALSE(store_->getLease("infra/shop/prod")->has_value());
}

TEST_F(Apply, OpenIntentsOfAKilledApplyAreResumedWithoutATwin) {
  // A previous apply journaled two intents and was killed: the first call had
  // reached the provider (the resource exists, unrecorded), the second not.
  auto lb = res("aws_lb", "web", "us-east-1");
  auto topic = res("aws_sns_topic", "alerts", "us-east-1");
  const std::string lbToken = clientTokenFor(lb);
  ASSERT_TRUE(provider_.create(lb, lbToken, {}));
  for (const auto& r : {lb, topic}) {
    JournalEntry e;
    e.applyId = "apply-killed";
    e.project = "shop";
    e.env = "prod";
    e.region = r.region;
    e.address = r.address;
    e.action = "create";
    e.clientToken = clientTokenFor(r);
    e.status = "intent";
    e.detail = nlohmann::json{{"desired", resourceJson(r)}};
    ASSERT_TRUE(infra_->appendJournal(e));
  }
  ASSERT_EQ(infra_->openJournal("shop", "prod")->size(), 2u);
  EXPECT_TRUE(state("us-east-1").resources.empty()) << "the killed apply recorded nothing";

  // The next apply's plan (made from the state) creates both again.
  Plan p = plan({"us-east-1"}, {create(lb), create(topic)});
  ApplyOptions o;
  o.clock = &clock_;
  auto r = apply(p, provider_, *infra_, o);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_TRUE(r->ok()) << r->toJson().dump(2);
  EXPECT_EQ(r->resumed, 2);
  EXPECT_EQ(provider_.real.size(), 2u);
  EXPECT_EQ(provider_.createdOrder.size(), 2u) << "no twin of the load balancer";
  EXPECT_EQ(state("us-east-1").resources.size(), 2u);
  EXPECT_TRUE(infra_->openJournal("shop", "prod")->empty());
}

}  // namespace
