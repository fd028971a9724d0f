// The audit over the API, end to end on one machine: the real engine (fake
// providers, real SQLite store, manual clock) runs a deployment whose config
// references ${secret:DB_PASSWORD} and whose alert is signed with
// ${secret:HOOK_KEY}; it fails, its alert (written to the store's outbox with
// the event) is sent by the OutboxSender to a loopback receiver,
// and GET /api/v1/audit (AuditRoutes) shows every event with neither secret
// value anywhere. Also the API's parameter errors and /audit/verify.
#include <gtest/gtest.h>

#include <curl/curl.h>

#include <nlohmann/json.hpp>

#include "../engine/EngineFakes.h"
#include "AlertingDeployment.h"
#include "AuditTestWorld.h"
#include "LoopbackReceiver.h"
#include "config/SecretStore.h"
#include "core/Clock.h"
#include "alerts/CurlWebhookSender.h"
#include "engine/Engine.h"
#include "alerts/OutboxSender.h"
#include "server/ApiServer.h"
#include "server/AuditRoutes.h"
#include "store/AuditSeal.h"

namespace ramp {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const std::string kDbPassword = "hunter2-db-password-5f1e";
const std::string kHookKey = "hook-key-9a8b7c6d5e4f";

size_t collect(char* d, size_t s, size_t n, void* u) {
  static_cast<std::string*>(u)->append(d, s * n);
  return s * n;
}

std::pair<long, std::string> get(const std::string& url) {
  CURL* c = curl_easy_init();
  std::string body;
  struct curl_slist* h = curl_slist_append(nullptr, "Authorization: Bearer test-token");
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  long status = 0;
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return {status, body};
}

TEST(AuditApiTest, SecretsNeverReachTheAuditAndAlertsAreRecorded) {
  testing::AuditTestWorld w("api");
  config::SecretStore secrets(w.home);
  ASSERT_TRUE(secrets.set("DB_PASSWORD", kDbPassword));
  ASSERT_TRUE(secrets.set("HOOK_KEY", kHookKey));
  testing::LoopbackReceiver receiver(kHookKey, {500, 200});

  ManualClock clock;
  fakes::FakeFleets fleets;
  fleets.healthyOnCreate = false;  // the deployment will fail its deadline
  fakes::FakeTraffic traffic;
  fakes::FakeMetrics metrics;
  fakes::FakeReleases releases;
  engine::Engine eng(*w.store, fleets, traffic, metrics, releases, clock, engine::EngineOptions{});

  alerts::CurlWebhookSender sender;
  alerts::OutboxOptions oo;
  oo.baseBackoff = 20ms;
  alerts::OutboxSender alertSender(*w.store, sender, nullptr, clock, w.home, 1, oo);
  store::AuditSeal seal(w.home, clock);

  auto req = testing::alertingDeployment(receiver.url(), {{"DB_PASSWORD", "${secret:DB_PASSWORD}"}});
  auto d = eng.submit(req);
  ASSERT_TRUE(d) << d.error().describe();
  // The controller's loop: tick, send the alerts due, seal.
  for (int i = 0; i < 60; ++i) {
    ASSERT_TRUE(eng.tick());
    ASSERT_TRUE(alertSender.sendDue());
    ASSERT_TRUE(seal.update(*w.store));
    clock.advance(100ms);
  }
  auto final = eng.get(d->id);
  ASSERT_TRUE(final);
  ASSERT_EQ(final->state, "failed") << final->reason;
  ASSERT_TRUE(seal.update(*w.store));

  server::ApiServer api([](const std::string& token) -> Result<server::Principal> {
    if (token == "test-token") return server::Principal{"auditor", "t1", {{"*", {"viewer"}}}};
    return fail(ErrorCode::kUnauthenticated, "bad token");
  });
  server::addAuditRoutes(api, *w.store, seal);
  auto addr = api.start("127.0.0.1", 0);
  ASSERT_TRUE(addr) << addr.error().describe();
  std::string base = "http://" + *addr;

  auto [status, body] = get(base + "/api/v1/audit?service=crawler&env=prod");
  ASSERT_EQ(status, 200) << body;
  auto events = json::parse(body, nullptr, false);
  ASSERT_TRUE(events.is_array()) << body;
  std::set<std::string> kinds;
  for (const auto& e : events) kinds.insert(e["kind"].get<std::string>());
  EXPECT_TRUE(kinds.contains("deployment.created"));
  EXPECT_TRUE(kinds.contains("deployment.finished"));
  EXPECT_TRUE(kinds.contains("notification.sent")) << body;
  EXPECT_EQ(body.find(kDbPassword), std::string::npos);
  EXPECT_EQ(body.find(kHookKey), std::string::npos);
  for (const auto& e : events) {
    if (e["kind"] == "notification.sent") EXPECT_EQ(e["data"]["attempts"], 2);
  }
  auto got = receiver.requests();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[1].signatureValid);
  EXPECT_EQ(json::parse(got[1].body)["event"], "deployment.failed");
  // The whole stored log (every table the audit reads) has no secret either.
  auto all = get(base + "/api/v1/audit?limit=10000");
  EXPECT_EQ(all.second.find(kDbPassword), std::string::npos);

  auto bad = get(base + "/api/v1/audit?since=yesterday");
  EXPECT_EQ(bad.first, 400) << bad.second;
  auto err = json::parse(bad.second, nullptr, false);
  ASSERT_TRUE(err.is_object()) << bad.second;
  EXPECT_EQ(err["error"]["field"], "since") << bad.second;
  bad = get(base + "/api/v1/audit?limit=-3");
  EXPECT_EQ(bad.first, 400) << bad.second;

  auto v = get(base + "/api/v1/audit/verify");
  ASSERT_EQ(v.first, 200) << v.second;
  auto vj = json::parse(v.second, nullptr, false);
  EXPECT_EQ(vj["ok"], true) << v.second;
  EXPECT_EQ(vj["seal_ok"], true) << v.second;
  EXPECT_EQ(vj["count"], vj["sealed_count"]) << v.second;

  // Tamper through the file: the API's verify names the event.
  ASSERT_EQ(w.sql("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2"), "");
  v = get(base + "/api/v1/audit/verify");
  vj = json::parse(v.second, nullptr, false);
  EXPECT_EQ(vj["ok"], false) << v.second;
  EXPECT_EQ(vj["first_broken_seq"], 2) << v.second;
  api.stop();
}

}  // namespace
}  // namespace ramp
