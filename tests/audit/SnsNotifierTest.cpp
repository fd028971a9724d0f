// Alerts to SNS topics through WebhookNotifier with a fake AlertPublisher:
// published once with the webhook's JSON body and a short subject; a failing
// publisher retried with backoff then notification.failed; a permanent error
// not retried; no publisher is a clear failure; a webhook and an sns
// destination of one event both delivered.
#include <gtest/gtest.h>

#include <mutex>

#include <nlohmann/json.hpp>

#include "AuditTestWorld.h"
#include "LoopbackReceiver.h"
#include "config/ConfigLoader.h"
#include "config/EffectiveService.h"
#include "config/SecretStore.h"
#include "core/Clock.h"
#include "alerts/AlertPublisher.h"
#include "alerts/CurlWebhookSender.h"
#include "alerts/SnsAlertPublisher.h"
#include "alerts/WebhookNotifier.h"

namespace ramp::alerts {
namespace {

using nlohmann::json;
using testing::AuditTestWorld;
using testing::LoopbackReceiver;
using namespace std::chrono_literals;

const std::string kArn = "arn:aws:sns:eu-west-1:123456789012:ops-alerts";

struct Published {
  std::string arn, subject, message;
};

class FakePublisher : public AlertPublisher {
 public:
  // Outcomes in order; the last one repeats.
  explicit FakePublisher(std::vector<PublishOutcome> outcomes) : outcomes_(std::move(outcomes)) {}
  PublishOutcome publish(const std::string& arn, const std::string& subject, const std::string& message,
                         std::chrono::milliseconds) override {
    std::lock_guard lock(mu_);
    calls_.push_back({arn, subject, message});
    return outcomes_[std::min(calls_.size() - 1, outcomes_.size() - 1)];
  }
  std::vector<Published> calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  std::mutex mu_;
  std::vector<PublishOutcome> outcomes_;
  std::vector<Published> calls_;
};

PublishOutcome ok(std::string id) { return {true, std::move(id), "", false}; }
PublishOutcome throttled() { return {false, "", "SNS Publish: Throttling: Rate exceeded", true}; }
PublishOutcome denied() { return {false, "", "SNS Publish: AuthorizationError: not authorized", false}; }

WebhookOptions fastOptions(int attempts = 4) {
  WebhookOptions o;
  o.maxAttempts = attempts;
  o.baseBackoff = 10ms;
  o.maxBackoff = 40ms;
  o.timeout = 2000ms;
  return o;
}

DeploymentEvent rolledBack(json alerts) {
  DeploymentEvent e;
  e.event = "deployment.rolled_back";
  e.service = "crawler";
  e.env = "prod";
  e.deploymentId = "d-9";
  e.version = "2.0.1";
  e.reason = "canary error rate x5 — rolled back";
  e.actor = "ramp";
  e.seq = 42;
  e.alerts = std::move(alerts);
  return e;
}

std::vector<store::AuditEvent> ofKind(store::Store& st, const std::string& kind) {
  std::vector<store::AuditEvent> out;
  auto all = st.listEvents(store::AuditFilter{});
  if (all) {
    for (auto& e : *all) {
      if (e.kind == kind) out.push_back(e);
    }
  }
  return out;
}

class SnsNotifierTest : public ::testing::Test {
 protected:
  AuditTestWorld w{"sns-notify"};
  CurlWebhookSender sender;
};

TEST_F(SnsNotifierTest, PublishesOnceWithTheWebhookBodyAndAShortSubject) {
  FakePublisher pub({ok("m-1")});
  WebhookNotifier n(*w.store, sender, SystemClock::instance(), w.home, fastOptions(), &pub);
  auto e = rolledBack(json::array({{{"sns", kArn}}}));
  n.notify(e);
  ASSERT_TRUE(n.waitIdle(20s));
  auto calls = pub.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].arn, kArn);
  auto body = json::parse(calls[0].message);
  EXPECT_EQ(body["event"], "deployment.rolled_back");
  EXPECT_EQ(body["service"], "crawler");
  EXPECT_EQ(body["deployment"], "d-9");
  EXPECT_EQ(body["audit_seq"], 42);
  // Same body as the webhook gets (the timestamp aside).
  auto expected = WebhookNotifier::body(e, body["timestamp"].get<int64_t>());
  EXPECT_EQ(body, expected);
  EXPECT_EQ(calls[0].subject, "ramp: crawler 2.0.1 in prod: deployment rolled back");
  auto sent = ofKind(*w.store, "notification.sent");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].data["sns"], kArn);
  EXPECT_EQ(sent[0].data["event"], "deployment.rolled_back");
  EXPECT_EQ(sent[0].data["attempts"], 1);
  EXPECT_EQ(sent[0].data["message_id"], "m-1");
  EXPECT_EQ(sent[0].data["trigger_seq"], 42);
  EXPECT_FALSE(sent[0].data.contains("webhook"));
  EXPECT_EQ(sent[0].deploymentId, "d-9");
  EXPECT_TRUE(ofKind(*w.store, "notification.failed").empty());
}

TEST_F(SnsNotifierTest, SubjectIsPrintableAsciiOfAtMost100Characters) {
  auto e = rolledBack(json::array());
  e.service = std::string(150, 's');
  e.version = "1.0-\xc3\xa9";
  auto s = WebhookNotifier::subject(e);
  EXPECT_EQ(s.size(), 100u);
  for (char c : s) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << int(c);
  e.service = "web";
  s = WebhookNotifier::subject(e);
  EXPECT_EQ(s, "ramp: web 1.0-?? in prod: deployment rolled back");
}

TEST_F(SnsNotifierTest, RetryableFailuresAreRetriedThenRecordedAsFailed) {
  FakePublisher pub({throttled()});
  WebhookNotifier n(*w.store, sender, SystemClock::instance(), w.home, fastOptions(3), &pub);
  n.notify(rolledBack(json::array({{{"sns", kArn}}})));
  ASSERT_TRUE(n.waitIdle(20s));
  EXPECT_EQ(pub.calls().size(), 3u);
  auto failed = ofKind(*w.store, "notification.failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].data["sns"], kArn);
  EXPECT_EQ(failed[0].data["attempts"], 3);
  EXPECT_NE(failed[0].data["error"].get<std::string>().find("Throttling"), std::string::npos);
  EXPECT_TRUE(ofKind(*w.store, "notification.sent").empty());
}

TEST_F(SnsNotifierTest, RetriedUntilAccepted) {
  FakePublisher pub({throttled(), throttled(), ok("m-3")});
  WebhookNotifier n(*w.store, sender, SystemClock::instance(), w.home, fastOptions(5), &pub);
  n.notify(rolledBack(json::array({{{"sns", kArn}}})));
  ASSERT_TRUE(n.waitIdle(20s));
  EXPECT_EQ(pub.calls().size(), 3u);
  auto sent = ofKind(*w.store, "notification.sent");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].data["attempts"], 3);
  EXPECT_EQ(sent[0].data["message_id"], "m-3");
}

TEST_F(SnsNotifierTest, PermanentFailureIsNotRetried) {
  FakePublisher pub({denied()});
  WebhookNotifier n(*w.store, sender, SystemClock::instance(), w.home, fastOptions(5), &pub);
  n.notify(rolledBack(json::array({{{"sns", kArn}}})));
  ASSERT_TRUE(n.waitIdle(20s));
  EXPECT_EQ(pub.calls().size(), 1u);
  auto failed = ofKind(*w.store, "notification.failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].data["attempts"], 1);
  EXPECT_NE(failed[0].data["error"].get<std::string>().find("AuthorizationError"), std::string::npos);
}

TEST_F(SnsNotifierTest, NoPublisherIsAClearFailure) {
  WebhookNotifier n(*w.store, sender, SystemClock::instance(), w.home, fastOptions());
  n.notify(rolledBack(json::array({{{"sns", kArn}}})));
  ASSERT_TRUE(n.waitIdle(20s));
  auto failed = ofKind(*w.store, "notification.failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].data["sns"], kArn);
  EXPECT_EQ(failed[0].data["attempts"], 0);
  EXPECT_NE(failed[0].data["error"].get<std::string>().find("no SNS publisher"), std::string::npos);
}

TEST_F(SnsNotifierTest, AWebhookAndAnSnsDestinationAreBothDelivered) {
  ASSERT_TRUE(config::SecretStore(w.home).set("HOOK_KEY", "hook-signing-key-0123456789"));
  LoopbackReceiver receiver("hook-signing-key-0123456789", {200});
  FakePublisher pub({ok("m-7")});
  WebhookNotifier n(*w.store, sender, SystemClock::instance(), w.home, fastOptions(), &pub);
  n.notify(rolledBack(json::array({{{"webhook", receiver.url()}, {"secret", "${secret:HOOK_KEY}"}},
                                   {{"sns", kArn}}})));
  ASSERT_TRUE(n.waitIdle(20s));
  auto got = receiver.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].signatureValid);
  ASSERT_EQ(pub.calls().size(), 1u);
  EXPECT_EQ(json::parse(pub.calls()[0].message)["event"], json::parse(got[0].body)["event"]);
  auto sent = ofKind(*w.store, "notification.sent");
  ASSERT_EQ(sent.size(), 2u);
  int webhooks = 0, topics = 0;
  for (auto& s : sent) {
    webhooks += s.data.contains("webhook");
    topics += s.data.contains("sns");
  }
  EXPECT_EQ(webhooks, 1);
  EXPECT_EQ(topics, 1);
  EXPECT_TRUE(ofKind(*w.store, "notification.failed").empty());
}

TEST(SnsAlertPublisherTest, RegionComesFromTheArnAndBadArnsAreRefusedWithoutAnAwsCall) {
  EXPECT_EQ(SnsAlertPublisher::regionOf(kArn), "eu-west-1");
  EXPECT_EQ(SnsAlertPublisher::regionOf("arn:aws-cn:sns:cn-north-1:123456789012:t"), "cn-north-1");
  EXPECT_EQ(SnsAlertPublisher::regionOf("arn:aws:sqs:us-east-1:123456789012:t"), "");
  EXPECT_EQ(SnsAlertPublisher::regionOf("ops-alerts"), "");
  SnsAlertPublisher pub;  // production wiring: nothing made until a valid ARN is published to
  auto out = pub.publish("not-an-arn", "s", "{}", 1000ms);
  EXPECT_FALSE(out.delivered);
  EXPECT_FALSE(out.retryable);
  EXPECT_NE(out.error.find("not an SNS topic ARN"), std::string::npos);
}

TEST(SnsAlertConfigTest, AnSnsDestinationIsReadRenderedAndAlertedOn) {
  const char* text = R"(project: shop
environments:
  prod: {}
services:
  web:
    run: {command: bin/web}
    health: {path: /healthz}
    alerts:
      - sns: arn:aws:sns:eu-west-1:123456789012:ops-alerts
      - webhook: https://hooks.example.com/x
)";
  auto c = config::loadConfigText(text, "t.yaml");
  ASSERT_TRUE(c.ok()) << (c.diagnostics.empty() ? "" : c.diagnostics.front().format());
  auto r = config::render(*c.config, "web", "prod", "");
  ASSERT_TRUE(r) << r.error().describe();
  auto alerts = r->json.contains("alerts") ? r->json["alerts"] : r->json["service"]["alerts"];
  ASSERT_EQ(alerts.size(), 2u) << r->json.dump();
  EXPECT_EQ(alerts[0], json({{"sns", kArn}}));
  EXPECT_EQ(alerts[1]["webhook"], "https://hooks.example.com/x");
  // The rendered config is what Notifier::alertFor hands to the notifier.
  store::AuditEvent ev;
  ev.kind = "deployment.finished";
  ev.service = "web";
  ev.env = "prod";
  ev.deploymentId = "d-1";
  ev.data = {{"state", "rolled_back"}};
  auto de = Notifier::alertFor(ev, r->json);
  ASSERT_TRUE(de);
  EXPECT_EQ(de->event, "deployment.rolled_back");
  ASSERT_EQ(de->alerts.size(), 2u);
  EXPECT_EQ(de->alerts[0]["sns"], kArn);
}

}  // namespace
}  // namespace ramp::alerts
