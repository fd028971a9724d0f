// The AWS client against a real AWS API emulator (moto, started once per
// suite by the aws_moto fixture with its signature checking on), reset
// before every test with a fresh IAM key to sign with (MotoAuth.h).
#include <gtest/gtest.h>

#include <cstdlib>
#include <deque>
#include <mutex>
#include <set>
#include <fstream>

#include "LoopbackServer.h"
#include "MotoAuth.h"
#include "providers/aws/AwsClient.h"
#include "providers/aws/AwsError.h"
#include "providers/aws/AwsHttpClient.h"
#include "providers/aws/ElbV2Api.h"
#include "providers/aws/StaticCredentialsProvider.h"
#include "providers/aws/ThreadSleeper.h"

using namespace ramp;
using namespace ramp::providers::aws;
using ramp::providers::aws::test::LoopbackServer;

namespace {

int motoPort() {
  const char* dir = std::getenv("RAMP_MOTO_STATE");
  std::ifstream in(std::string(dir ? dir : ".") + "/moto.port");
  int port = 0;
  in >> port;
  return port;
}

std::string motoUrl() { return "http://127.0.0.1:" + std::to_string(motoPort()); }

// The IAM key moto checks signatures against (MotoAuth.h), or another one.
std::shared_ptr<CredentialsProvider> creds(std::string id = {}, std::string secret = {}) {
  if (id.empty()) return std::make_shared<StaticCredentialsProvider>(ramp::providers::aws::test::motoKeys());
  return std::make_shared<StaticCredentialsProvider>(AwsCredentials{id, secret, "", {}, "test"});
}

class Moto : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GT(motoPort(), 0) << "moto fixture did not start (RAMP_MOTO_STATE)";
    auto keys = ramp::providers::aws::test::motoResetWithKeys(motoUrl());
    ASSERT_TRUE(keys) << keys.error().describe();
  }
  AwsClientOptions options(std::string endpoint = {}) {
    AwsClientOptions o;
    o.region = "us-east-1";
    o.endpointOverride = endpoint.empty() ? motoUrl() : endpoint;
    o.retry.base = Millis(5);
    o.account = "moto-" + std::to_string(counter_++);  // fresh budget per client
    return o;
  }
  RateBudget budget_{SystemClock::instance(), ThreadSleeper::instance()};
  int counter_ = 0;

  std::pair<std::string, std::vector<std::string>> defaultVpcSubnets(AwsClient& c) {
    auto doc = c.query("ec2", "DescribeSubnets", {});
    EXPECT_TRUE(doc) << doc.error().describe();
    std::vector<std::string> subnets;
    std::string vpc;
    if (!doc) return {};
    for (auto& item : doc->root().child("subnetSet").children("item")) {
      if (vpc.empty()) vpc = item.get("vpcId");
      if (item.get("vpcId") == vpc && subnets.size() < 2) subnets.push_back(item.get("subnetId"));
    }
    return {vpc, subnets};
  }
};

}  // namespace

TEST_F(Moto, WeightedListenerNinetyTenThenFiftyFifty) {
  AwsClient c(options(), creds(), AwsHttpClient::shared(), SystemClock::instance(), ThreadSleeper::instance(), budget_);
  ElbV2Api elb(c);
  auto [vpc, subnets] = defaultVpcSubnets(c);
  ASSERT_FALSE(vpc.empty());
  ASSERT_EQ(subnets.size(), 2u);
  auto lb = elb.createLoadBalancer({"ramp-web", subnets, {}, "internet-facing", "application"});
  ASSERT_TRUE(lb) << lb.error().describe();
  EXPECT_FALSE(lb->dnsName.empty());
  auto blue = elb.createTargetGroup({"ramp-blue", "HTTP", 8080, vpc, "instance", "/healthz"});
  auto green = elb.createTargetGroup({"ramp-green", "HTTP", 8080, vpc, "instance", "/healthz"});
  ASSERT_TRUE(blue && green);
  auto l = elb.createListener(lb->arn, "HTTP", 80, {{blue->arn, 90}, {green->arn, 10}});
  ASSERT_TRUE(l) << l.error().describe();
  ASSERT_EQ(l->forward.size(), 2u);
  auto m = elb.modifyListener(l->arn, {{blue->arn, 50}, {green->arn, 50}});
  ASSERT_TRUE(m) << m.error().describe();
  auto back = elb.describeListeners(lb->arn);
  ASSERT_TRUE(back) << back.error().describe();
  ASSERT_EQ(back->size(), 1u);
  ASSERT_EQ((*back)[0].forward.size(), 2u);
  for (auto& f : (*back)[0].forward) EXPECT_EQ(f.weight, 50);
  EXPECT_EQ((*back)[0].forward[0].targetGroupArn, blue->arn);

  // Tags round-trip; a bad weight is refused before any call, naming the field.
  ASSERT_TRUE(elb.addTags({blue->arn}, {{"ramp:fleet", "blue"}}));
  auto tags = elb.describeTags({blue->arn});
  ASSERT_TRUE(tags);
  EXPECT_EQ((*tags)[blue->arn]["ramp:fleet"], "blue");
  auto bad = elb.modifyListener(l->arn, {{blue->arn, 1000}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().where, "forward[0].weight");

  // Missing objects map onto kNotFound with the AWS code kept.
  auto missing = elb.describeTargetGroups({"no-such-group"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound) << missing.error().describe();
}

TEST_F(Moto, SignatureCheckedWithIamKeysCreatedInMoto) {
  // SetUp spent moto's 3 free calls on an IAM user allowed everything and
  // its key: from then on every request's signature is checked.
  std::string id = ramp::providers::aws::test::motoKeys().accessKeyId;
  std::string secret = ramp::providers::aws::test::motoKeys().secretAccessKey;
  ASSERT_FALSE(id.empty());
  ASSERT_FALSE(secret.empty());

  AwsClient good(options(), creds(id, secret), AwsHttpClient::shared(), SystemClock::instance(), ThreadSleeper::instance(), budget_);
  auto ok = ElbV2Api(good).describeTargetGroups();
  ASSERT_TRUE(ok) << ok.error().describe();
  auto asg = good.query("autoscaling", "DescribeAutoScalingGroups", {});
  ASSERT_TRUE(asg) << asg.error().describe();

  AwsClient bad(options(), creds(id, secret + "x"), AwsHttpClient::shared(), SystemClock::instance(), ThreadSleeper::instance(), budget_);
  auto denied = ElbV2Api(bad).describeTargetGroups();
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(AwsError::codeOf(denied.error()), "SignatureDoesNotMatch");
  EXPECT_NE(denied.error().message.find("HTTP 403"), std::string::npos) << denied.error().message;
  EXPECT_EQ(denied.error().message.find(secret), std::string::npos);
  EXPECT_EQ(bad.stats().attempts, 1);  // not retried
  EXPECT_TRUE(denied.error().permanent);  // retrying cannot succeed: ends a phase at once

  // A form body with spaces (a fixed response's message) and a Route 53 GET
  // with a query pass moto's check: spaces are sent as "+" and Route 53's
  // payload hash as a signed X-Amz-Content-Sha256 (docs/aws.md, moto caveats).
  ElbV2Api elb(good);
  auto vpc = good.query("ec2", "DescribeVpcs", {});
  ASSERT_TRUE(vpc) << vpc.error().describe();
  auto subnets = good.query("ec2", "DescribeSubnets", {});
  ASSERT_TRUE(subnets) << subnets.error().describe();
  std::vector<std::string> ids;
  std::set<std::string> zones;
  for (auto& item : subnets->root().child("subnetSet").children("item")) {
    if (zones.insert(item.get("availabilityZone")).second && ids.size() < 2) ids.push_back(item.get("subnetId"));
  }
  auto lb = elb.createLoadBalancer({"ramp-auth", ids, {}, "internet-facing", "application"});
  ASSERT_TRUE(lb) << lb.error().describe();
  auto listener = elb.createListener(lb->arn, "HTTP", 80, {});
  ASSERT_TRUE(listener) << listener.error().describe();
  auto zone = good.restXml("route53", "POST", "/2013-04-01/hostedzone",
                           {}, "<CreateHostedZoneRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><Name>example.com</Name><CallerReference>auth</CallerReference></CreateHostedZoneRequest>",
                           "CreateHostedZone");
  ASSERT_TRUE(zone) << zone.error().describe();
  auto byName = good.restXml("route53", "GET", "/2013-04-01/hostedzonesbyname", {{"dnsname", "example.com"}}, "",
                             "ListHostedZonesByName");
  ASSERT_TRUE(byName) << byName.error().describe();
}

TEST_F(Moto, FaultProxyThrottlingServerErrorsAndDropsConverge) {
  // In front of moto: answers follow a schedule, then requests pass through.
  std::mutex mu;
  std::deque<std::string> schedule{"throttle", "500", "drop", "forward-then-drop", "pass"};
  int forwarded = 0;
  int port = motoPort();
  LoopbackServer proxy([&](const std::string& req) -> std::optional<std::string> {
    std::string what = "pass";
    {
      std::lock_guard lock(mu);
      if (!schedule.empty()) { what = schedule.front(); schedule.pop_front(); }
    }
    if (what == "throttle") {
      return LoopbackServer::answer(400, "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>p1</RequestId></ErrorResponse>", "text/xml");
    }
    if (what == "500") return LoopbackServer::answer(500, "<ErrorResponse><Error><Code>InternalFailure</Code><Message>boom</Message></Error></ErrorResponse>", "text/xml");
    if (what == "drop") return std::nullopt;
    // Forward to moto (one request per connection; moto closes it).
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) { ::close(fd); return std::nullopt; }
    LoopbackServer::writeAll(fd, req);
    std::string resp;
    char buf[8192];
    for (int i = 0; i < 10000; ++i) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 10000) <= 0) break;
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      resp.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    ++forwarded;
    if (what == "forward-then-drop") return std::nullopt;  // moto did it, the client never hears
    return resp;
  });
  auto o = options(proxy.url());
  o.retry.maxAttempts = 5;
  AwsClient c(o, creds(), AwsHttpClient::shared(), SystemClock::instance(), ThreadSleeper::instance(), budget_);
  ElbV2Api elb(c);
  auto vpc = defaultVpcSubnets(c);  // attempts: throttle, 500, drop, forward-then-drop, pass
  ASSERT_FALSE(vpc.first.empty());
  EXPECT_EQ(c.stats().retries, 4);
  EXPECT_EQ(c.retryPolicy().quotaAvailable(), 500);

  // A create whose answer is lost is retried with the same name: no twin.
  {
    std::lock_guard lock(mu);
    schedule = {"forward-then-drop", "throttle", "pass"};
  }
  auto tg = elb.createTargetGroup({"ramp-idem", "HTTP", 80, vpc.first, "instance", "/healthz"});
  ASSERT_TRUE(tg) << tg.error().describe();
  auto all = elb.describeTargetGroups();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 1u);

  // The retry quota bounds retries: with room for one retry, a storm of
  // throttling fails fast as kUnavailable instead of hammering the API.
  auto q = options(proxy.url());
  q.retry.quotaCapacity = 5;
  q.retry.maxAttempts = 5;
  AwsClient small(q, creds(), AwsHttpClient::shared(), SystemClock::instance(), ThreadSleeper::instance(), budget_);
  {
    std::lock_guard lock(mu);
    schedule = {"throttle", "throttle", "throttle", "throttle", "throttle"};
  }
  auto r = ElbV2Api(small).describeTargetGroups();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(small.stats().attempts, 2);
  EXPECT_NE(r.error().message.find("retry quota exhausted"), std::string::npos) << r.error().message;
}
