// Alerts through the store's outbox (issue 16: no alert lost in a crash):
// the real engine (fake providers, real SQLite store, manual clock) writes a
// failed deployment's alert in the same transaction as its event; the
// OutboxSender of any later leader delivers it once, signed, with the
// delivery id the receiver deduplicates by; a leader that died holding a
// claim is replaced at once; retries are due later and a final failure is
// recorded; a sender whose lease is not fresh sends nothing.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../engine/EngineFakes.h"
#include "AlertingDeployment.h"
#include "AuditTestWorld.h"
#include "LoopbackReceiver.h"
#include "alerts/CurlWebhookSender.h"
#include "alerts/OutboxSender.h"
#include "config/SecretStore.h"
#include "core/Clock.h"
#include "engine/Engine.h"

namespace ramp {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const std::string kHookKey = "outbox-hook-key-0f1e2d3c";

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(config::SecretStore(w.home).set("HOOK_KEY", kHookKey));
    fleets.healthyOnCreate = false;  // every deployment here fails its deadline
  }

  // Submits a blue/green deployment alerting `url` and ticks it until it
  // failed (no sender runs meanwhile); its id.
  std::string failedDeployment(const std::string& url) {
    auto req = testing::alertingDeployment(url);
    auto d = eng.submit(req);
    EXPECT_TRUE(d) << d.error().describe();
    if (!d) return "";
    for (int i = 0; i < 60; ++i) {
      EXPECT_TRUE(eng.tick());
      clock.advance(100ms);
      if (auto x = eng.get(d->id); x && x->state == "failed") break;
    }
    auto final = eng.get(d->id);
    EXPECT_TRUE(final && final->state == "failed");
    return d->id;
  }
  std::vector<store::AuditEvent> events(const std::string& kind) {
    std::vector<store::AuditEvent> out;
    auto all = w.store->listEvents(store::AuditFilter{});
    for (auto& e : all ? *all : std::vector<store::AuditEvent>{}) {
      if (e.kind == kind) out.push_back(e);
    }
    return out;
  }
  std::vector<store::OutboxAlert> outbox() {
    auto a = w.store->listAlerts(std::nullopt, 100);
    return a ? *a : std::vector<store::OutboxAlert>{};
  }
  alerts::OutboxSender sender(int64_t epoch) {
    alerts::OutboxOptions o;
    o.baseBackoff = 500ms;
    o.maxAttempts = 3;
    o.timeout = 2000ms;
    return alerts::OutboxSender(*w.store, curl, nullptr, clock, w.home, epoch, o);
  }

  testing::AuditTestWorld w{"outbox"};
  ManualClock clock;
  fakes::FakeFleets fleets;
  fakes::FakeTraffic traffic;
  fakes::FakeMetrics metrics;
  fakes::FakeReleases releases;
  engine::Engine eng{*w.store, fleets, traffic, metrics, releases, clock, engine::EngineOptions{}};
  alerts::CurlWebhookSender curl;
};

TEST_F(OutboxTest, AFailedDeploymentsAlertIsWrittenWithItsEventAndSentOnceByTheNextLeader) {
  testing::LoopbackReceiver receiver(kHookKey, {200});
  std::string id = failedDeployment(receiver.url());
  // Written with the event, before anyone sends: one pending row for it.
  auto finished = events("deployment.finished");
  ASSERT_EQ(finished.size(), 1u);
  auto rows = outbox();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].eventSeq, finished[0].seq);
  EXPECT_EQ(rows[0].name, "deployment.failed");
  EXPECT_EQ(rows[0].status, "pending");
  EXPECT_EQ(receiver.requests().size(), 0u);
  // A leader (any epoch) sends it, once.
  auto s = sender(7);
  auto r = s.sendDue();
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(*r, 1);
  auto again = s.sendDue();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0);
  auto got = receiver.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].signatureValid);
  EXPECT_EQ(got[0].headers.at("x-ramp-event"), "deployment.failed");
  EXPECT_EQ(got[0].headers.at("x-ramp-delivery"), std::to_string(finished[0].seq) + "-0");
  auto body = json::parse(got[0].body);
  EXPECT_EQ(body["deployment"], id);
  EXPECT_EQ(body["version"], "1.4.0");
  EXPECT_EQ(outbox()[0].status, "sent");
  auto sent = events("notification.sent");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].data["attempts"], 1);
  EXPECT_EQ(sent[0].data["trigger_seq"], finished[0].seq);
  EXPECT_EQ(sent[0].deploymentId, id);
  EXPECT_EQ(sent[0].data.dump().find(kHookKey), std::string::npos);
}

TEST_F(OutboxTest, ALeaderThatDiedHoldingAClaimIsReplacedAtOnce) {
  testing::LoopbackReceiver receiver(kHookKey, {200});
  failedDeployment(receiver.url());
  // Leader at epoch 3 claimed the alert for a minute, then died before sending.
  const int64_t now = toUnixMillis(clock.now());
  auto claimed = w.store->claimDueAlerts(now, now + 60'000, 3, 16);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  // Another sender of the same epoch must not take it (it is in flight)...
  auto same = sender(3).sendDue();
  ASSERT_TRUE(same);
  EXPECT_EQ(*same, 0);
  // ...the next leader (epoch 4) sends it at once.
  auto next = sender(4).sendDue();
  ASSERT_TRUE(next) << next.error().describe();
  EXPECT_EQ(*next, 1);
  EXPECT_EQ(receiver.requests().size(), 1u);
  EXPECT_EQ(outbox()[0].status, "sent");
}

TEST_F(OutboxTest, RetriesAreDueAfterTheBackoffAndAFinalFailureIsRecorded) {
  testing::LoopbackReceiver receiver(kHookKey, {503, 404});
  failedDeployment(receiver.url());
  auto s = sender(1);
  ASSERT_TRUE(s.sendDue());
  auto rows = outbox();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].status, "pending");
  EXPECT_EQ(rows[0].attempts, 1);
  EXPECT_EQ(rows[0].lastError, "HTTP 503");
  // Not due before its backoff (500 ms).
  clock.advance(400ms);
  ASSERT_TRUE(s.sendDue());
  EXPECT_EQ(receiver.requests().size(), 1u);
  clock.advance(200ms);
  ASSERT_TRUE(s.sendDue());
  EXPECT_EQ(receiver.requests().size(), 2u);
  // 404 is final: failed, recorded, never tried again.
  EXPECT_EQ(outbox()[0].status, "failed");
  auto failed = events("notification.failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].data["status"], 404);
  EXPECT_EQ(failed[0].data["attempts"], 2);
  EXPECT_EQ(failed[0].data["error"], "HTTP 404");
  clock.advance(60s);
  ASSERT_TRUE(s.sendDue());
  EXPECT_EQ(receiver.requests().size(), 2u);
  EXPECT_TRUE(events("notification.sent").empty());
}

TEST_F(OutboxTest, AnUnreachableReceiverUsesUpTheAttemptsThenFails) {
  int port = 0;
  {
    testing::LoopbackReceiver gone(kHookKey, {200});
    port = gone.port();
  }  // nobody listens there now
  failedDeployment("http://127.0.0.1:" + std::to_string(port) + "/hook");
  auto s = sender(1);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(s.sendDue());
    clock.advance(5s);
  }
  auto rows = outbox();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].status, "failed");
  EXPECT_EQ(rows[0].attempts, 3);
  auto failed = events("notification.failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].data["attempts"], 3);
  EXPECT_TRUE(failed[0].data["status"].is_null());
}

TEST_F(OutboxTest, ASenderWhoseLeaseIsNotFreshSendsNothing) {
  testing::LoopbackReceiver receiver(kHookKey, {200});
  failedDeployment(receiver.url());
  auto s = sender(1);
  s.setActGate([]() -> Status { return conflict("the controller lease was last renewed 9 s ago", "lease"); });
  auto r = s.sendDue();
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 0);
  EXPECT_EQ(receiver.requests().size(), 0u);
  EXPECT_EQ(outbox()[0].status, "pending");
  s.setActGate([]() -> Status { return ok(); });
  r = s.sendDue();
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 1);
  EXPECT_EQ(receiver.requests().size(), 1u);
}

}  // namespace
}  // namespace ramp
