// Alerts: which audit events notify, and webhook delivery to a loopback
// receiver that checks the HMAC signature — retried with backoff until it
// succeeds, recorded as notification.sent / notification.failed, never
// blocking the caller, never leaking the secret into the audit.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>

#include <nlohmann/json.hpp>

#include "AuditTestWorld.h"
#include "LoopbackReceiver.h"
#include "config/SecretStore.h"
#include "core/Clock.h"
#include "core/Sha256.h"
#include "alerts/CurlWebhookSender.h"
#include "alerts/WebhookNotifier.h"

namespace ramp::alerts {
namespace {

using nlohmann::json;
using testing::AuditTestWorld;
using testing::LoopbackReceiver;
using namespace std::chrono_literals;

const std::string kSecret = "s3cr3t-hook-signing-key-0123456789";

WebhookOptions fastOptions(int attempts = 5) {
  WebhookOptions o;
  o.maxAttempts = attempts;
  o.baseBackoff = 20ms;
  o.maxBackoff = 100ms;
  o.timeout = 2000ms;
  return o;
}

DeploymentEvent failedEvent(const std::string& url) {
  DeploymentEvent e;
  e.event = "deployment.failed";
  e.service = "crawler";
  e.env = "prod";
  e.deploymentId = "d-1";
  e.version = "1.4.0";
  e.reason = "health check failed";
  e.actor = "ramp";
  e.seq = 7;
  e.alerts = json::array({{{"webhook", url}, {"secret", "${secret:HOOK_KEY}"}}});
  return e;
}

std::vector<store::AuditEvent> eventsOfKind(store::Store& st, const std::string& kind) {
  std::vector<store::AuditEvent> out;
  auto all = st.listEvents(store::AuditFilter{});
  if (!all) return out;
  for (auto& e : *all) {
    if (e.kind == kind) out.push_back(e);
  }
  return out;
}

std::string everything(store::Store& st) {
  std::string out;
  auto all = st.listEvents(store::AuditFilter{});
  if (all) {
    for (auto& e : *all) out += e.actor + e.kind + e.data.dump() + "\n";
  }
  return out;
}

class NotifierTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(config::SecretStore(w.home).set("HOOK_KEY", kSecret)); }
  AuditTestWorld w{"notify"};
  CurlWebhookSender sender;
};

TEST_F(NotifierTest, RetriesUntilTheReceiverAcceptsAndSignsEveryAttempt) {
  LoopbackReceiver receiver(kSecret, {500, 500, 200});
  WebhookNotifier n(*w.store, sender, SystemClock::instance(), w.home, fastOptions());
  n.notify(failedEvent(receiver.url()));
  ASSERT_TRUE(n.waitIdle(20s));
  auto got = receiver.requests();
  ASSERT_EQ(got.size(), 3u);
  for (const auto& r : got) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_TRUE(r.signatureValid) << r.headers.at("x-ramp-signature");
    EXPECT_EQ(r.headers.at("x-ramp-event"), "deployment.failed");
    auto body = json::parse(r.body);
    EXPECT_TRUE(body["text"].is_string());
    EXPECT_NE(body["text"].get<std::string>().find("crawler"), std::string::npos);
    EXPECT_TRUE(body["attachments"].is_array());
    EXPECT_EQ(body["event"], "deployment.failed");
    EXPECT_EQ(body["service"], "crawler");
    EXPECT_EQ(body["env"], "prod");
    EXPECT_EQ(body["deployment"], "d-1");
    EXPECT_EQ(body["version"], "1.4.0");
    EXPECT_EQ(body["reason"], "health check failed");
    EXPECT_EQ(std::to_string(body["timestamp"].get<int64_t>()), r.headers.at("x-ramp-timestamp"));
  }
  auto sent = eventsOfKind(*w.store, "notification.sent");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].data["attempts"], 3);
  EXPECT_EQ(sent[0].data["status"], 200);
  EXPECT_EQ(sent[0].data["event"], "deployment.failed");
  EXPECT_EQ(sent[0].service, "crawler");
  EXPECT_EQ(sent[0].deploymentId, "d-1");
  EXPECT_TRUE(eventsOfKind(*w.store, "notification.failed").empty());
  EXPECT_EQ(everything(*w.store).find(kSecret), std::string::npos);
}

TEST_F(NotifierTest, AWrongSecretIsVisibleToTheReceiver) {
  // The receiver knows another key: the signature must not verify (proves the
  // check above can fail).
  LoopbackReceiver receiver("another-key", {200});
  WebhookNotifier n(*w.store, sender, SystemClock::instance(), w.home, fastOptions());
  n.notify(failedEvent(receiver.url()));
  ASSERT_TRUE(n.waitIdle(20s));
  auto got = receiver.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(got[0].signatureValid);
}

TEST_F(NotifierTest, AlwaysFailingReceiverIsRecordedAndNeverBlocks) {
  LoopbackReceiver receiver(kSecret, {503});
  WebhookOptions o = fastOptions(4);
  o.baseBackoff = 200ms;  // a blocking notify would take >= 200 + 400 + 800 ms
  o.maxBackoff = 1s;
  WebhookNotifier n(*w.store, sender, SystemClock::instance(), w.home, o);
  auto before = std::chrono::steady_clock::now();
  n.notify(failedEvent(receiver.url()));
  auto spent = std::chrono::steady_clock::now() - before;
  EXPECT_LT(spent, 500ms);  // notify only enqueues
  ASSERT_TRUE(n.waitIdle(30s));
  EXPECT_EQ(receiver.requests().size(), 4u);
  auto failed = eventsOfKind(*w.store, "notification.failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].data["attempts"], 4);
  EXPECT_EQ(failed[0].data["status"], 503);
  EXPECT_EQ(failed[0].data["error"], "HTTP 503");
  EXPECT_TRUE(eventsOfKind(*w.store, "notification.sent").empty());
}

TEST_F(NotifierTest, ClientErrorsAreNotRetried) {
  LoopbackReceiver receiver(kSecret, {400, 200});
  WebhookNotifier n(*w.store, sender, SystemClock::instance(), w.home, fastOptions());
  n.notify(failedEvent(receiver.url()));
  ASSERT_TRUE(n.waitIdle(20s));
  EXPECT_EQ(receiver.requests().size(), 1u);
  auto failed = eventsOfKind(*w.store, "notification.failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].data["attempts"], 1);
}

TEST_F(NotifierTest, UnreachableReceiverAndMissingSecretAreRecordedWithoutSecrets) {
  int port;
  {
    LoopbackReceiver gone(kSecret, {200});
    port = gone.port();
  }  // closed: connections are refused
  WebhookNotifier n(*w.store, sender, SystemClock::instance(), w.home, fastOptions(2));
  auto e = failedEvent("http://127.0.0.1:" + std::to_string(port) + "/hook?token=${secret:HOOK_KEY}");
  e.alerts.push_back({{"webhook", "http://127.0.0.1:1/x"}, {"secret", "${secret:NO_SUCH_SECRET}"}});
  n.notify(e);
  ASSERT_TRUE(n.waitIdle(20s));
  auto failed = eventsOfKind(*w.store, "notification.failed");
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_EQ(failed[0].data["attempts"], 2);
  EXPECT_TRUE(failed[0].data["status"].is_null());
  EXPECT_FALSE(failed[0].data["error"].get<std::string>().empty());
  EXPECT_EQ(failed[0].data["webhook"], "http://127.0.0.1:" + std::to_string(port) + "/hook");
  EXPECT_EQ(failed[1].data["attempts"], 0);
  EXPECT_NE(failed[1].data["error"].get<std::string>().find("alerts[1].secret"), std::string::npos)
      << failed[1].data.dump();
  EXPECT_EQ(everything(*w.store).find(kSecret), std::string::npos);
}

// A sender that holds every call until released: the worker is stuck.
class GateSender final : public WebhookSender {
 public:
  WebhookResponse post(const std::string&, const std::vector<std::pair<std::string, std::string>>&,
                       const std::string&, std::chrono::milliseconds) override {
    std::unique_lock lock(mu);
    ++calls;
    cv.notify_all();
    cv.wait_for(lock, 10s, [&] { return open; });
    return {200, ""};
  }
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int calls = 0;
};

TEST_F(NotifierTest, FullQueueDropsAndRecordsWithoutWaiting) {
  GateSender gate;
  WebhookOptions o = fastOptions();
  o.queueLimit = 1;
  WebhookNotifier n(*w.store, gate, SystemClock::instance(), w.home, o);
  n.notify(failedEvent("http://127.0.0.1:1/a"));  // taken by the worker, stuck
  {
    std::unique_lock lock(gate.mu);
    ASSERT_TRUE(gate.cv.wait_for(lock, 10s, [&] { return gate.calls == 1; }));
  }
  auto before = std::chrono::steady_clock::now();
  n.notify(failedEvent("http://127.0.0.1:1/b"));  // queued
  n.notify(failedEvent("http://127.0.0.1:1/c"));  // queue full: dropped (one store append)
  EXPECT_LT(std::chrono::steady_clock::now() - before, 3s);  // the stuck worker would hold it 10 s
  auto failed = eventsOfKind(*w.store, "notification.failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_NE(failed[0].data["error"].get<std::string>().find("queue is full"), std::string::npos);
  {
    std::lock_guard lock(gate.mu);
    gate.open = true;
  }
  gate.cv.notify_all();
  ASSERT_TRUE(n.waitIdle(10s));
  EXPECT_EQ(eventsOfKind(*w.store, "notification.sent").size(), 2u);
}

TEST_F(NotifierTest, StopEndsBackoffAndRecordsWhatWasNotSent) {
  LoopbackReceiver receiver(kSecret, {500});
  WebhookOptions o = fastOptions(5);
  o.baseBackoff = 10s;  // would wait a long time
  o.maxBackoff = 10s;
  auto n = std::make_unique<WebhookNotifier>(*w.store, sender, SystemClock::instance(), w.home, o);
  n->notify(failedEvent(receiver.url()));
  // Bounded wait for the first attempt.
  for (int i = 0; i < 200 && receiver.requests().empty(); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(receiver.requests().size(), 1u);
  auto before = std::chrono::steady_clock::now();
  n.reset();  // stop
  EXPECT_LT(std::chrono::steady_clock::now() - before, 3s);
  auto failed = eventsOfKind(*w.store, "notification.failed");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].data["attempts"], 1);
  EXPECT_NE(failed[0].data["error"].get<std::string>().find("stopped"), std::string::npos);
}

store::AuditEvent ev(const std::string& kind, json data, int64_t seq = 1) {
  store::AuditEvent e;
  e.seq = seq;
  e.kind = kind;
  e.service = "crawler";
  e.env = "prod";
  e.deploymentId = "d-" + std::to_string(seq);
  e.actor = "ramp";
  e.data = std::move(data);
  return e;
}

TEST(AlertRuleTest, DecidesFromKindAndState) {
  json rendered{{"alerts", json::array({{{"webhook", "http://127.0.0.1:1/"}, {"secret", nullptr}}})}};
  auto a = Notifier::alertFor(ev("deployment.finished", {{"state", "failed"}, {"reason", "r"}, {"version", "2"}}), rendered);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->event, "deployment.failed");
  EXPECT_EQ(a->reason, "r");
  EXPECT_EQ(a->version, "2");
  EXPECT_EQ(a->alerts.size(), 1u);
  a = Notifier::alertFor(ev("deployment.finished", {{"state", "rolled_back"}}), rendered);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->event, "deployment.rolled_back");
  EXPECT_FALSE(Notifier::alertFor(ev("deployment.finished", {{"state", "succeeded"}}), rendered));
  EXPECT_FALSE(Notifier::alertFor(ev("deployment.phase", {{"state", "running"}}), rendered));
  EXPECT_FALSE(Notifier::alertFor(ev("traffic.set", {{"weights", {{"a", 100}}}}), rendered));
  a = Notifier::alertFor(ev("deployment.phase", {{"state", "awaiting_approval"}}), rendered);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->event, "approval.requested");
  a = Notifier::alertFor(ev("approval.requested", json::object()), rendered);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->event, "approval.requested");
  a = Notifier::alertFor(ev("deployment.created", {{"hotfix", true}}), rendered);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->event, "hotfix.started");
  a = Notifier::alertFor(ev("hotfix.started", json::object()), rendered);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->event, "hotfix.started");
  EXPECT_FALSE(Notifier::alertFor(ev("deployment.created", {{"hotfix", false}}), rendered));
  EXPECT_FALSE(Notifier::alertFor(ev("notification.failed", {{"state", "failed"}}), rendered));
  // Alerts under "service" (the render wrapper) are found too.
  a = Notifier::alertFor(ev("deployment.finished", {{"state", "failed"}}), json{{"service", rendered}});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->alerts.size(), 1u);
}

class CountingNotifier final : public Notifier {
 public:
  void notify(const DeploymentEvent& e) override { got.push_back(e); }
  std::vector<DeploymentEvent> got;
};

TEST(AlertRuleTest, OnAuditNotifiesOncePerDeploymentAndNeedsDestinations) {
  CountingNotifier n;
  json rendered{{"alerts", json::array({{{"webhook", "http://127.0.0.1:1/"}}})}};
  auto waiting = ev("deployment.phase", {{"state", "awaiting_approval"}}, 5);
  EXPECT_TRUE(n.onAudit(waiting, rendered));
  waiting.seq = 6;
  EXPECT_FALSE(n.onAudit(waiting, rendered));  // same deployment, same event
  EXPECT_FALSE(n.onAudit(ev("deployment.finished", {{"state", "failed"}}, 9), json::object()));  // no alerts
  EXPECT_EQ(n.got.size(), 1u);
}

}  // namespace
}  // namespace ramp::alerts
