// OutboxConformanceTest — store/OutboxStore.h on both backends: an alert's
// outbox rows are written in the transaction of the event that causes it
// (and never without it), claimed by one sender at a time, settled once.
#include "StoreConformance.h"

using namespace ramp;
using namespace ramp::store;
using namespace ramp::store::test;

namespace {

AuditEventInput failedEvent(const std::string& id, int64_t at, int destinations) {
  AuditEventInput e{at, "ramp", "deployment.finished", "crawler", "prod", id, Json{{"state", "failed"}}};
  EventAlert a{"deployment.failed", Json::array()};
  for (int i = 0; i < destinations; ++i) a.destinations.push_back({{"webhook", "http://hook/" + std::to_string(i)}});
  e.alert = a;
  return e;
}

TEST_P(StoreConformance, AlertsAreWrittenWithTheirEventOneRowPerDestination) {
  auto e = store_->appendEvent(failedEvent("dep-o1", kT0, 2));
  ASSERT_TRUE(e) << e.error().describe();
  EXPECT_FALSE(e->alert) << "the alert is not part of the event";
  auto rows = store_->listAlerts(e->seq, 10);
  ASSERT_TRUE(rows) << rows.error().describe();
  ASSERT_EQ(rows->size(), 2u);
  // Newest first.
  EXPECT_EQ((*rows)[1].index, 0);
  EXPECT_EQ((*rows)[1].destination["webhook"], "http://hook/0");
  EXPECT_EQ((*rows)[1].status, "pending");
  EXPECT_EQ((*rows)[1].name, "deployment.failed");
  EXPECT_EQ((*rows)[1].idempotencyKey(), std::to_string(e->seq) + "-0");
  EXPECT_EQ((*rows)[0].idempotencyKey(), std::to_string(e->seq) + "-1");
  EXPECT_EQ((*rows)[0].nextAttemptAt, kT0);
  // The event's hash is what it would be without the alert.
  EXPECT_TRUE(verifyChain(*store_->listEvents({})).ok);

  // Through a deployment commit too; an empty destination list writes no row.
  auto d = deployment("dep-o2", "crawler", "prod", "running", kT0);
  ASSERT_TRUE(store_->insertDeployment(d, std::nullopt));
  d.state = "failed";
  ASSERT_TRUE(store_->updateDeployment(d, std::nullopt, {failedEvent("dep-o2", kT0 + 1, 1), failedEvent("dep-o2", kT0 + 1, 0)}));
  EXPECT_EQ(store_->listAlerts(std::nullopt, 100)->size(), 3u);
  // One alert of a kind per deployment: a second deployment.failed of dep-o2 adds nothing.
  ASSERT_TRUE(store_->appendEvent(failedEvent("dep-o2", kT0 + 2, 1)));
  EXPECT_EQ(store_->listAlerts(std::nullopt, 100)->size(), 3u);
  // Without a deployment, every event is its own.
  ASSERT_TRUE(store_->appendEvent(failedEvent("", kT0 + 3, 1)));
  ASSERT_TRUE(store_->appendEvent(failedEvent("", kT0 + 4, 1)));
  EXPECT_EQ(store_->listAlerts(std::nullopt, 100)->size(), 5u);
}

TEST_P(StoreConformance, NoAlertWithoutItsEvent) {
  auto a = store_->acquireLease("controller", "a", 10'000, kT0);
  ASSERT_TRUE(a);
  Fence fa{"controller", a->epoch};
  auto d = deployment("dep-o3", "crawler", "prod", "running", kT0);
  ASSERT_TRUE(store_->insertDeployment(d, fa));
  ASSERT_TRUE(store_->acquireLease("controller", "b", 10'000, kT0 + 10'001));
  d.state = "failed";
  ASSERT_FALSE(store_->updateDeployment(d, fa, {failedEvent("dep-o3", kT0 + 2, 1)}));
  EXPECT_TRUE(store_->listAlerts(std::nullopt, 100)->empty());
  EXPECT_TRUE(store_->listEvents({})->empty());

  // A malformed alert: refused before anything is written.
  auto bad = failedEvent("dep-o3", kT0, 1);
  bad.alert->destinations = Json::array({"http://not-an-object"});
  auto r = store_->appendEvent(bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(r.error().where, "alert.destinations");
  bad.alert = EventAlert{"", Json::array()};
  EXPECT_EQ(store_->appendEvent(bad).error().where, "alert.name");
  EXPECT_TRUE(store_->listEvents({})->empty());
}

TEST_P(StoreConformance, DueAlertsAreClaimedOnceAndSettledOnce) {
  auto e = store_->appendEvent(failedEvent("dep-o4", kT0, 1));
  ASSERT_TRUE(e);
  EXPECT_TRUE(store_->claimDueAlerts(kT0 - 1, kT0, 1, 10)->empty()) << "not due before the event";
  auto first = store_->claimDueAlerts(kT0, kT0 + 5'000, 1, 10);
  ASSERT_TRUE(first) << first.error().describe();
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].nextAttemptAt, kT0 + 5'000);
  EXPECT_EQ((*first)[0].claimEpoch.value_or(0), 1);
  // Another sender of the same epoch finds nothing while the claim holds;
  // once it ran out the alert is due again.
  EXPECT_TRUE(store_->claimDueAlerts(kT0 + 4'999, kT0 + 9'999, 1, 10)->empty());
  auto again = store_->claimDueAlerts(kT0 + 5'000, kT0 + 10'000, 1, 10);
  ASSERT_EQ(again->size(), 1u);
  const int64_t id = (*again)[0].id;
  // A leader of a later epoch takes at once what an earlier one claimed
  // (it died mid-delivery); the earlier one then takes nothing.
  auto taken = store_->claimDueAlerts(kT0 + 5'001, kT0 + 20'000, 2, 10);
  ASSERT_EQ(taken->size(), 1u);
  EXPECT_EQ((*taken)[0].claimEpoch.value_or(0), 2);
  EXPECT_TRUE(store_->claimDueAlerts(kT0 + 5'002, kT0 + 30'000, 1, 10)->empty());

  // A retryable failure: due again at retryAt, one attempt counted.
  ASSERT_TRUE(*store_->settleAlert(id, AlertAttempt{AlertAttempt::Outcome::kRetry, kT0 + 6'000, kT0 + 7'000, "HTTP 503"},
                                   std::nullopt));
  EXPECT_TRUE(store_->claimDueAlerts(kT0 + 6'999, kT0 + 8'000, 2, 10)->empty());
  auto retried = store_->claimDueAlerts(kT0 + 7'000, kT0 + 8'000, 2, 10);
  ASSERT_EQ(retried->size(), 1u);
  EXPECT_EQ((*retried)[0].attempts, 1);

  AuditEventInput sent{kT0 + 7'500, "ramp", "notification.sent", "crawler", "prod", "dep-o4", Json{{"trigger_seq", e->seq}}};
  auto s1 = store_->settleAlert(id, AlertAttempt{AlertAttempt::Outcome::kSent, kT0 + 7'500, 0, ""}, sent);
  ASSERT_TRUE(s1) << s1.error().describe();
  EXPECT_TRUE(*s1);
  // Settled already (another sender): false, no second event.
  auto s2 = store_->settleAlert(id, AlertAttempt{AlertAttempt::Outcome::kSent, kT0 + 7'600, 0, ""}, sent);
  ASSERT_TRUE(s2);
  EXPECT_FALSE(*s2);
  auto rows = store_->listAlerts(e->seq, 10);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].status, "sent");
  EXPECT_EQ((*rows)[0].attempts, 2);
  EXPECT_EQ((*rows)[0].settledAt.value_or(0), kT0 + 7'500);
  EXPECT_TRUE(store_->claimDueAlerts(kT0 + 100'000, kT0 + 200'000, 3, 10)->empty());
  EXPECT_FALSE((*rows)[0].claimEpoch) << "a settled alert is nobody's";
  auto evs = store_->listEvents(byDeployment("dep-o4"));
  ASSERT_EQ(evs->size(), 2u);
  EXPECT_EQ((*evs)[1].kind, "notification.sent");

  EXPECT_EQ(store_->settleAlert(999'999, AlertAttempt{}, std::nullopt).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->claimDueAlerts(kT0, kT0, 1, 0).error().where, "limit");
}

}  // namespace
