// SnsAlertPublisher against moto: an SNS topic (in eu-west-1, a region other
// than the clients' default, so the region must come from the ARN) with an
// SQS queue subscribed; an alert published directly and one through
// WebhookNotifier arrive in the queue with the subject and the event JSON.
// A topic that does not exist fails without retrying and names no secret.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "MotoWorld.h"
#include "alerts/CurlWebhookSender.h"
#include "alerts/SnsAlertPublisher.h"
#include "alerts/WebhookNotifier.h"
#include "store/Store.h"

namespace ramp::providers::aws::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// Runs the helper; its stdout ("" when it failed).
std::string helper(const std::string& args) {
  // Signed with the test's IAM key (moto checks signatures).
  std::string cmd = "AWS_ACCESS_KEY_ID=" + motoKeys().accessKeyId + " AWS_SECRET_ACCESS_KEY=" +
                    motoKeys().secretAccessKey + " python3 " + std::string(std::getenv("RAMP_SOURCE_DIR")) +
                    "/tests/aws_provider/sns_sqs.py " + motoUrl() + " " + args + " 2>&1";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  return pclose(p) == 0 ? out : "helper failed: " + out;
}

class SnsAlertTest : public MotoWorld {
 protected:
  void SetUp() override {
    MotoWorld::SetUp();
    std::string out = helper("eu-west-1 topic ramp-alerts");
    auto space = out.find(' ');
    ASSERT_NE(space, std::string::npos) << out;
    topic = out.substr(0, space);
    queue = out.substr(space + 1);
    while (!queue.empty() && (queue.back() == '\n' || queue.back() == '\r')) queue.pop_back();
    ASSERT_EQ(topic.rfind("arn:aws:sns:eu-west-1:", 0), 0u) << topic;
  }
  json received() {
    std::string out = helper("eu-west-1 receive " + queue);
    auto j = json::parse(out, nullptr, false);
    EXPECT_TRUE(j.is_array()) << out;
    return j.is_array() ? j : json::array();
  }
  std::string topic, queue;
};

TEST_F(SnsAlertTest, PublishedMessageArrivesThroughTheSubscribedQueue) {
  alerts::SnsAlertPublisher pub(*clients);
  json body{{"event", "deployment.rolled_back"}, {"service", "web"}, {"deployment", "d-1"}};
  auto out = pub.publish(topic, "ramp: web 2.0 in prod: deployment rolled back", body.dump(), 5s);
  ASSERT_TRUE(out.delivered) << out.error;
  EXPECT_FALSE(out.messageId.empty());
  auto msgs = received();
  ASSERT_EQ(msgs.size(), 1u) << msgs.dump();
  EXPECT_EQ(msgs[0]["Subject"], "ramp: web 2.0 in prod: deployment rolled back");
  EXPECT_EQ(msgs[0]["MessageId"], out.messageId);
  EXPECT_EQ(json::parse(msgs[0]["Message"].get<std::string>()), body);
}

TEST_F(SnsAlertTest, MissingTopicFailsWithoutRetryAndWithoutSecrets) {
  alerts::SnsAlertPublisher pub(*clients);
  std::string missing = topic.substr(0, topic.rfind(':') + 1) + "no-such-topic";
  auto out = pub.publish(missing, "s", "{}", 5s);
  EXPECT_FALSE(out.delivered);
  EXPECT_FALSE(out.retryable) << out.error;
  EXPECT_NE(out.error.find("SNS Publish"), std::string::npos) << out.error;
  EXPECT_EQ(out.error.find(motoKeys().secretAccessKey), std::string::npos) << out.error;  // the secret
  EXPECT_EQ(out.error.find(motoKeys().accessKeyId), std::string::npos) << out.error;      // the key id
  EXPECT_TRUE(received().empty());
}

TEST_F(SnsAlertTest, NotifierDeliversADeploymentEventToTheTopic) {
  auto home = std::filesystem::path(std::getenv("RAMP_HOME") ? std::getenv("RAMP_HOME") : "/tmp") / "sns-alert";
  std::filesystem::create_directories(home);
  auto st = store::openStore((home / "ramp.db").string());
  ASSERT_TRUE(st) << st.error().describe();
  ASSERT_TRUE((*st)->migrate());
  alerts::CurlWebhookSender sender;
  alerts::SnsAlertPublisher pub(*clients);
  alerts::WebhookOptions o;
  o.baseBackoff = 10ms;
  o.maxAttempts = 3;
  alerts::WebhookNotifier n(**st, sender, SystemClock::instance(), home, o, &pub);
  alerts::DeploymentEvent e;
  e.event = "deployment.rolled_back";
  e.service = "web";
  e.env = "prod";
  e.deploymentId = "d-42";
  e.version = "2.0.1";
  e.reason = "canary failed";
  e.seq = 5;
  e.alerts = json::array({{{"sns", topic}}});
  n.notify(e);
  ASSERT_TRUE(n.waitIdle(30s));
  auto msgs = received();
  ASSERT_EQ(msgs.size(), 1u) << msgs.dump();
  EXPECT_EQ(msgs[0]["Subject"], "ramp: web 2.0.1 in prod: deployment rolled back");
  auto body = json::parse(msgs[0]["Message"].get<std::string>());
  EXPECT_EQ(body["event"], "deployment.rolled_back");
  EXPECT_EQ(body["deployment"], "d-42");
  EXPECT_EQ(body["reason"], "canary failed");
  auto events = (*st)->listEvents(store::AuditFilter{});
  ASSERT_TRUE(events);
  int sent = 0;
  for (auto& ev : *events) {
    if (ev.kind == "notification.sent" && ev.data["sns"] == topic) {
      ++sent;
      EXPECT_EQ(ev.data["message_id"], msgs[0]["MessageId"]);
    }
    EXPECT_NE(ev.kind, "notification.failed") << ev.data.dump();
  }
  EXPECT_EQ(sent, 1);
}

}  // namespace
}  // namespace ramp::providers::aws::test
