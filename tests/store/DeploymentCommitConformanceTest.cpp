// DeploymentCommitConformanceTest — a deployment change and the audit events
// it causes are one transaction (store/DeploymentStore.h), on both backends:
// both land, or (revision conflict, fence, bad event) neither does.
#include "StoreConformance.h"

using namespace ramp;
using namespace ramp::store;
using namespace ramp::store::test;

namespace {

AuditEventInput phaseEvent(const std::string& id, const std::string& phase, int64_t at) {
  return AuditEventInput{at, "ramp", "deployment.phase", "crawler", "prod", id, Json{{"phase", phase}}};
}

TEST_P(StoreConformance, InsertAndUpdateCarryTheirEventsInOneTransaction) {
  auto d = deployment("dep-c1", "crawler", "prod", "queued", kT0);
  ASSERT_TRUE(store_->insertDeployment(
      d, std::nullopt,
      {AuditEventInput{kT0, "alice", "deployment.created", "crawler", "prod", "dep-c1", Json::object()},
       AuditEventInput{kT0, "alice", "approval.requested", "crawler", "prod", "dep-c1", Json::object()}}));
  EXPECT_EQ(d.revision, 1);
  d.state = "running";
  d.doc["phase"] = "create_fleet";
  ASSERT_TRUE(store_->updateDeployment(d, std::nullopt, {phaseEvent("dep-c1", "create_fleet", kT0 + 1)}));
  EXPECT_EQ(d.revision, 2);

  auto evs = store_->listEvents(byDeployment("dep-c1"));
  ASSERT_TRUE(evs) << evs.error().describe();
  ASSERT_EQ(evs->size(), 3u);
  EXPECT_EQ((*evs)[0].kind, "deployment.created");
  EXPECT_EQ((*evs)[1].kind, "approval.requested");
  EXPECT_EQ((*evs)[2].kind, "deployment.phase");
  EXPECT_EQ((*evs)[2].data["phase"], "create_fleet");
  EXPECT_EQ((*evs)[2].prevHash, (*evs)[1].hash) << "one chain";
  EXPECT_TRUE(verifyChain(*evs).ok);
  // No event is fine too.
  ASSERT_TRUE(store_->updateDeployment(d, std::nullopt));
  EXPECT_EQ(store_->listEvents({})->size(), 3u);
}

TEST_P(StoreConformance, ARefusedCommitAppendsNoEvent) {
  auto a = store_->acquireLease("controller", "a", 10'000, kT0);
  ASSERT_TRUE(a);
  Fence fa{"controller", a->epoch};
  auto d = deployment("dep-c2", "crawler", "prod", "running", kT0);
  ASSERT_TRUE(store_->insertDeployment(d, fa, {phaseEvent("dep-c2", "start", kT0)}));

  // A stale revision: nothing, not even the event.
  auto stale = d;
  stale.revision = 7;
  auto st = store_->updateDeployment(stale, fa, {phaseEvent("dep-c2", "switch", kT0 + 1)});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kConflict);
  EXPECT_EQ(stale.revision, 7);

  // A bad event: kInvalid before anything is written.
  auto bad = phaseEvent("dep-c2", "switch", kT0 + 1);
  bad.actor.clear();
  d.state = "succeeded";
  auto b = store_->updateDeployment(d, fa, {phaseEvent("dep-c2", "switch", kT0 + 1), bad});
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(b.error().where, "actor");
  EXPECT_EQ(d.revision, 1);
  EXPECT_EQ(store_->getDeployment("dep-c2")->state, "running");

  // Deposed: fenced, no event.
  ASSERT_TRUE(store_->acquireLease("controller", "b", 10'000, kT0 + 10'001));
  auto f = store_->updateDeployment(d, fa, {phaseEvent("dep-c2", "switch", kT0 + 2)});
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, ErrorCode::kConflict);
  auto d3 = deployment("dep-c3", "crawler", "prod", "queued", kT0);
  EXPECT_EQ(store_->insertDeployment(d3, fa, {phaseEvent("dep-c3", "start", kT0)}).error().code,
            ErrorCode::kConflict);
  // An id that exists: no event either.
  auto dup = deployment("dep-c2", "crawler", "prod", "queued", kT0);
  EXPECT_EQ(store_->insertDeployment(dup, std::nullopt, {phaseEvent("dep-c2", "start", kT0)}).error().code,
            ErrorCode::kConflict);

  auto evs = store_->listEvents({});
  ASSERT_EQ(evs->size(), 1u) << "only the insert's own event";
  EXPECT_EQ((*evs)[0].data["phase"], "start");
  EXPECT_EQ(store_->getDeployment("dep-c2")->state, "running");
}

}  // namespace
