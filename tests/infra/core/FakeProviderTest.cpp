// FakeInfraProvider (latency, token buckets, batching, idempotent create,
// out-of-band changes) and the Refresher (one readMany per type × region,
// calls == the batched minimum, errors are "unknown" not "absent").
#include <thread>

#include <gtest/gtest.h>

#include "CoreFixtures.h"
#include "infra/FakeInfraProvider.h"
#include "infra/Planner.h"
#include "infra/Refresher.h"

namespace ramp::infra {
namespace {

using testing::appliedState;
using testing::desiredOf;
using testing::loadFixture;

Resource lb(int i, const std::string& region = "us-east-1") {
  Resource r;
  r.type = "aws_lb";
  r.name = "lb" + std::to_string(i);
  r.region = region;
  r.address = "aws_lb.lb" + std::to_string(i) + "[" + region + "]";
  r.attributes = {{"name", r.name}, {"scheme", "internet-facing"}};
  r.forceNew = {"scheme"};
  r.tags = {{"ramp:project", "p"}, {"ramp:env", "e"}, {"ramp:region", region}};
  return r;
}

TEST(FakeInfraProvider, ReadManyBatchesAndSpendsLatencyOnTheClock) {
  ManualClock clock;
  FakeInfraProvider::Options o;
  o.latency = std::chrono::milliseconds(50);
  FakeInfraProvider fake(clock, o);
  std::vector<Resource> wanted;
  for (int i = 0; i < 45; ++i) wanted.push_back(lb(i));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(fake.create(wanted[i], "t" + std::to_string(i), {}));
  uint64_t before = fake.callsMade();
  MonoTime t0 = clock.monotonic();
  auto got = fake.readMany("aws_lb", "us-east-1", wanted);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->size(), 10u);  // only those that exist
  EXPECT_EQ(fake.callsMade() - before, 3u);  // 45 names, 20 per DescribeLoadBalancers
  EXPECT_EQ(clock.monotonic() - t0, std::chrono::milliseconds(150));
}

TEST(FakeInfraProvider, EmptyBucketWaitsOrThrottles) {
  ManualClock clock;
  FakeInfraProvider::Options o;
  o.latency = std::chrono::milliseconds(0);
  o.families = {{"aws_lb", ApiFamily{"elbv2", 2, 1, 1}}};
  FakeInfraProvider waiting(clock, o);
  std::vector<Resource> three{lb(1), lb(2), lb(3)};
  MonoTime t0 = clock.monotonic();
  ASSERT_TRUE(waiting.readMany("aws_lb", "us-east-1", three));  // 3 calls, bucket of 2, 1 token/s
  EXPECT_EQ(clock.monotonic() - t0, std::chrono::seconds(1));
  EXPECT_EQ(waiting.throttled(), 0u);
  // Another region has its own bucket: no wait.
  t0 = clock.monotonic();
  ASSERT_TRUE(waiting.readMany("aws_lb", "eu-west-1", {lb(1, "eu-west-1"), lb(2, "eu-west-1")}));
  EXPECT_EQ(clock.monotonic() - t0, std::chrono::seconds(0));

  o.onEmpty = FakeInfraProvider::OnEmptyBucket::kThrottle;
  FakeInfraProvider throttling(clock, o);
  auto r = throttling.readMany("aws_lb", "us-east-1", three);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("ThrottlingException"), std::string::npos);
  EXPECT_EQ(throttling.throttled(), 1u);
  clock.advance(std::chrono::seconds(1));  // a token is back
  EXPECT_TRUE(throttling.readMany("aws_lb", "us-east-1", {lb(1)}));
}

TEST(FakeInfraProvider, CreateIsIdempotentByClientTokenAndChecksDependencies) {
  ManualClock clock;
  FakeInfraProvider fake(clock, {});
  auto a = fake.create(lb(1), "token-1", {});
  ASSERT_TRUE(a);
  auto again = fake.create(lb(1), "token-1", {});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id, a->id);
  EXPECT_EQ(fake.size(), 1u);
  auto twin = fake.create(lb(1), "token-2", {});
  ASSERT_FALSE(twin);
  EXPECT_EQ(twin.error().code, ErrorCode::kConflict);

  Resource listener;
  listener.address = "aws_lb_listener.http[us-east-1]";
  listener.type = "aws_lb_listener";
  listener.region = "us-east-1";
  listener.dependsOn = {"aws_lb.lb9[us-east-1]"};
  auto orphan = fake.create(listener, "t", {});
  ASSERT_FALSE(orphan);
  EXPECT_EQ(orphan.error().code, ErrorCode::kFailedPrecondition);

  Resource changed = lb(1);
  changed.attributes["scheme"] = "internal";
  auto u = fake.update(changed, *a, {});
  ASSERT_FALSE(u);
  EXPECT_NE(u.error().message.find("scheme"), std::string::npos);
  EXPECT_TRUE(fake.remove(*a));
  EXPECT_TRUE(fake.remove(*a));  // already gone: success
  EXPECT_EQ(fake.size(), 0u);
}

TEST(FakeInfraProvider, ListTaggedAndThreadSafety) {
  ManualClock clock;
  FakeInfraProvider::Options o;
  o.latency = std::chrono::milliseconds(1);
  FakeInfraProvider fake(clock, o);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&fake, t] {
      for (int i = 0; i < 25; ++i) (void)fake.create(lb(t * 100 + i), "k" + std::to_string(t * 100 + i), {});
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(fake.size(), 100u);
  auto tagged = fake.listTagged("p", "e", "us-east-1");
  ASSERT_TRUE(tagged);
  EXPECT_EQ(tagged->size(), 100u);
  auto none = fake.listTagged("p", "other", "us-east-1");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST(Refresher, OneReadManyPerTypeAndRegionAtTheMinimumCallCount) {
  auto desired = desiredOf(loadFixture("aws-two.yaml"), "prod");
  auto state = appliedState("shop", "prod", desired);
  ManualClock clock;
  FakeInfraProvider fake(clock, {});
  for (const auto& d : desired) {
    fake.addOutOfBand(ResourceState{d, "id", d.attributes}, d.tags);
  }
  auto groups = refreshGroups(desired, state);
  auto got = refresh(fake, desired, state);
  ASSERT_TRUE(got) << got.error().describe();
  EXPECT_EQ(got->size(), desired.size());
  uint64_t minimum = minimumCalls(desired, state, [&](const std::string& t) { return fake.familyOf(t).maxBatch; });
  EXPECT_EQ(fake.callsMade(), minimum);
  EXPECT_EQ(fake.callsMade(), groups.size());  // every group fits one batch here
  // The refreshed plan is a no-op; after deletes behind ramp's back it is not.
  EXPECT_TRUE(Planner::plan("shop", "prod", {}, desired, state, *got).noOp());
  fake.deleteOutOfBand("aws_sns_topic.alerts[eu-west-1]");
  fake.setAttributeOutOfBand("aws_lb.main[us-east-1]", "security_groups", nlohmann::json::array({"sg-0bad"}));
  auto again = refresh(fake, desired, state);
  ASSERT_TRUE(again);
  Plan p = Planner::plan("shop", "prod", {}, desired, state, *again);
  ASSERT_EQ(p.changes.size(), 2u);
  EXPECT_EQ(p.changes[0].address, "aws_lb.main[us-east-1]");
  EXPECT_EQ(p.changes[0].reason, "changed outside ramp");
  EXPECT_EQ(p.changes[1].address, "aws_sns_topic.alerts[eu-west-1]");
  EXPECT_EQ(p.changes[1].reason, "deleted outside ramp");
}

TEST(Refresher, ReadsRecordedResourcesThatAreNoLongerDesired) {
  auto one = desiredOf(loadFixture("aws-one.yaml"), "prod");
  auto state = appliedState("shop", "prod", desiredOf(loadFixture("aws-two.yaml"), "prod"));
  auto groups = refreshGroups(one, state);
  EXPECT_TRUE(groups.count({"aws_lb", "eu-west-1"}));
  ManualClock clock;
  FakeInfraProvider fake(clock, {});
  auto got = refresh(fake, one, state);  // nothing exists
  ASSERT_TRUE(got);
  Plan p = Planner::plan("shop", "prod", {"us-east-1"}, one, state, *got);
  bool sawGone = false;
  for (const auto& c : p.changes) {
    if (c.action == Action::kDelete) {
      EXPECT_EQ(c.reason, "region removed (already gone)");
      sawGone = true;
    }
  }
  EXPECT_TRUE(sawGone);
}

TEST(Refresher, AFailedReadIsAnErrorNotAnAbsence) {
  auto desired = desiredOf(loadFixture("aws-one.yaml"), "prod");
  ManualClock clock;
  FakeInfraProvider fake(clock, {});
  fake.failNext("aws_cloudwatch_alarm", Error{ErrorCode::kUnavailable, "connection reset", ""});
  auto got = refresh(fake, desired, {});
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(got.error().message.find("refreshing aws_cloudwatch_alarm in us-east-1"), std::string::npos)
      << got.error().message;
}

}  // namespace
}  // namespace ramp::infra
