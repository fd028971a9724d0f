// Standard retry mode and the client-side rate budget, on a ManualClock;
// paged calls (queryPages) on the same scripted transport.
#include <gtest/gtest.h>

#include <deque>

#include "providers/aws/AwsClient.h"
#include "providers/aws/AwsError.h"
#include "providers/aws/Ec2Api.h"
#include "providers/aws/ElbV2Api.h"
#include "providers/aws/RateBudget.h"
#include "providers/aws/RetryPolicy.h"
#include "providers/aws/StaticCredentialsProvider.h"

using namespace ramp;
using namespace ramp::providers::aws;

namespace {

// Sleeping advances the manual clock: no wall-clock waits.
class ManualSleeper final : public Sleeper {
 public:
  explicit ManualSleeper(ManualClock& c) : clock_(c) {}
  void sleepFor(Millis d) override {
    slept.push_back(d);
    clock_.advance(d);
  }
  std::vector<Millis> slept;

 private:
  ManualClock& clock_;
};

// Answers from a script, records requests.
class ScriptedTransport final : public HttpTransport {
 public:
  std::deque<HttpResponse> script;
  std::vector<HttpRequest> seen;
  Result<HttpResponse> send(const HttpRequest& r) override {
    seen.push_back(r);
    if (script.empty()) return HttpResponse{200, {}, "<OkResponse/>", "", false};
    auto a = script.front();
    script.pop_front();
    return a;
  }
};

HttpResponse throttled() {
  return {400, {}, "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r1</RequestId></ErrorResponse>", "", false};
}

}  // namespace

TEST(RetryPolicy, ThrottlingCodesFromTheStandardList) {
  for (auto c : {"Throttling", "ThrottlingException", "RequestLimitExceeded", "PriorRequestNotComplete",
                 "TooManyRequestsException", "SlowDown", "EC2ThrottledException"}) {
    EXPECT_TRUE(RetryPolicy::isThrottlingCode(c)) << c;
  }
  EXPECT_FALSE(RetryPolicy::isThrottlingCode("ValidationError"));
  EXPECT_EQ(RetryPolicy::classify(400, "Throttling"), FailureKind::kThrottling);
  EXPECT_EQ(RetryPolicy::classify(503, ""), FailureKind::kTransient);
  EXPECT_EQ(RetryPolicy::classify(500, "InternalFailure"), FailureKind::kTransient);
  EXPECT_EQ(RetryPolicy::classify(400, "ValidationError"), FailureKind::kPermanent);
  EXPECT_EQ(RetryPolicy::classify(403, "SignatureDoesNotMatch"), FailureKind::kPermanent);
}

TEST(RetryPolicy, BackoffIsFullJitterExponentialCapped) {
  RetryConfig cfg;
  cfg.maxAttempts = 10;
  RetryPolicy p(cfg, [] { return 0.999; });
  int held = 0;
  EXPECT_EQ(p.beforeRetry(1, FailureKind::kThrottling, held)->count(), 999);
  EXPECT_EQ(p.beforeRetry(2, FailureKind::kThrottling, held)->count(), 1998);
  EXPECT_EQ(p.beforeRetry(3, FailureKind::kThrottling, held)->count(), 3996);
  EXPECT_EQ(p.beforeRetry(6, FailureKind::kThrottling, held)->count(), 20000);  // 31.97 s capped at 20 s
  RetryPolicy zero(cfg, [] { return 0.0; });
  EXPECT_EQ(zero.beforeRetry(5, FailureKind::kTransient, held)->count(), 0);
}

TEST(RetryPolicy, AttemptsAndQuota) {
  RetryPolicy p(RetryConfig{}, [] { return 0.5; });
  int held = 0;
  EXPECT_TRUE(p.beforeRetry(1, FailureKind::kThrottling, held));
  EXPECT_TRUE(p.beforeRetry(2, FailureKind::kTransient, held));
  EXPECT_FALSE(p.beforeRetry(3, FailureKind::kThrottling, held));  // 3 attempts by default
  EXPECT_EQ(held, 10);
  EXPECT_EQ(p.quotaAvailable(), 490);
  p.onSuccess(held);  // a retried call that succeeds gives its tokens back
  EXPECT_EQ(p.quotaAvailable(), 500);
  p.onSuccess(0);     // never above capacity
  EXPECT_EQ(p.quotaAvailable(), 500);
  int t = 0;
  EXPECT_TRUE(p.beforeRetry(1, FailureKind::kTimeout, t));
  EXPECT_EQ(t, 10);  // timeouts cost 10
  EXPECT_FALSE(p.beforeRetry(1, FailureKind::kPermanent, t));
}

TEST(RetryPolicy, EmptyQuotaStopsRetries) {
  RetryConfig cfg;
  cfg.quotaCapacity = 12;
  RetryPolicy p(cfg, [] { return 0.5; });
  int a = 0, b = 0, c = 0;
  EXPECT_TRUE(p.beforeRetry(1, FailureKind::kThrottling, a));
  EXPECT_TRUE(p.beforeRetry(1, FailureKind::kThrottling, b));
  EXPECT_FALSE(p.beforeRetry(1, FailureKind::kThrottling, c));  // 2 tokens left < 5
  EXPECT_EQ(p.quotaAvailable(), 2);
  p.onSuccess(0);
  EXPECT_EQ(p.quotaAvailable(), 3);
}

TEST(TokenBucket, RefillAndWait) {
  ManualClock clock;
  TokenBucket b({2, 1}, clock.monotonic());
  EXPECT_EQ(b.reserve(1, clock.monotonic()).count(), 0);
  EXPECT_EQ(b.reserve(1, clock.monotonic()).count(), 0);
  EXPECT_EQ(b.reserve(1, clock.monotonic()).count(), 1000);  // one second of refill
  EXPECT_EQ(b.reserve(1, clock.monotonic()).count(), 2000);  // queued behind the previous one
  clock.advance(std::chrono::seconds(10));
  EXPECT_DOUBLE_EQ(b.level(clock.monotonic()), 2);  // capped at capacity
}

TEST(RateBudget, PublishedBucketsPerFamily) {
  auto ec2 = RateBudget::bucketsFor("ec2", "DescribeInstances", true);
  ASSERT_EQ(ec2.size(), 1u);
  EXPECT_EQ(ec2[0].name, "ec2:unfiltered-describe");
  EXPECT_EQ(ec2[0].spec.capacity, 50);
  EXPECT_EQ(RateBudget::bucketsFor("ec2", "DescribeInstances", false)[0].spec.capacity, 100);
  EXPECT_EQ(RateBudget::bucketsFor("ec2", "RunInstances")[0].spec.refillPerSecond, 2);
  EXPECT_EQ(RateBudget::bucketsFor("ec2", "CreateLaunchTemplate")[0].name, "ec2:mutating");
  auto elb = RateBudget::bucketsFor("elasticloadbalancing", "RegisterTargets");
  ASSERT_EQ(elb.size(), 2u);
  EXPECT_EQ(elb[0].name, "elasticloadbalancing:account");
  EXPECT_EQ(elb[1].spec.capacity, 20);
  EXPECT_EQ(elb[1].spec.refillPerSecond, 4);
  EXPECT_DOUBLE_EQ(RateBudget::bucketsFor("elasticloadbalancing", "CreateLoadBalancer")[1].spec.refillPerSecond, 0.2);
  // Actions with a bucket of their own, named after them, and only that one.
  auto run = RateBudget::bucketsFor("ec2", "RunInstances");
  ASSERT_EQ(run.size(), 1u);
  EXPECT_EQ(run[0].name, "ec2:RunInstances");
  EXPECT_EQ(run[0].spec.capacity, 5);
  auto describeAlarms = RateBudget::bucketsFor("monitoring", "DescribeAlarms");
  ASSERT_EQ(describeAlarms.size(), 1u);
  EXPECT_EQ(describeAlarms[0].name, "monitoring:DescribeAlarms");
  EXPECT_EQ(describeAlarms[0].spec.capacity, 9);
  EXPECT_EQ(RateBudget::bucketsFor("monitoring", "PutMetricAlarm")[0].name, "monitoring:alarm-mutating");
  EXPECT_EQ(RateBudget::bucketsFor("monitoring", "ListMetrics")[0].name, "monitoring:other");
  // The same action name on another service is not that bucket.
  EXPECT_EQ(RateBudget::bucketsFor("autoscaling", "CreateTags")[0].name, "autoscaling:account");
}

TEST(RateBudget, ManyCallersSlowDownInsteadOfFailing) {
  ManualClock clock;
  ManualSleeper sleeper(clock);
  RateBudget budget(clock, sleeper);
  // 60 ModifyListener calls at once: account bucket 40/10, mutating 20/3.
  auto start = clock.monotonic();
  for (int i = 0; i < 60; ++i) {
    auto w = budget.acquire("acct", "eu-west-1", "elasticloadbalancing", "ModifyListener");
    ASSERT_TRUE(w) << w.error().describe();
  }
  auto elapsed = std::chrono::duration_cast<Millis>(clock.monotonic() - start);
  // 20 at once, then 3 per second: the 60th goes after ~40/3 s.
  EXPECT_GE(elapsed.count(), 13000);
  EXPECT_LE(elapsed.count(), 14000);
  // Other regions and accounts have their own buckets.
  auto w = budget.acquire("acct", "us-east-1", "elasticloadbalancing", "ModifyListener");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->count(), 0);
}

TEST(RateBudget, RefusesAWaitBeyondTheLimit) {
  ManualClock clock;
  ManualSleeper sleeper(clock);
  RateBudget budget(clock, sleeper, Millis(5000));
  budget.setSpec("route53:changes", {1, 0.1});
  ASSERT_TRUE(budget.acquire("a", "us-east-1", "route53", "ChangeResourceRecordSets"));
  auto w = budget.acquire("a", "us-east-1", "route53", "ChangeResourceRecordSets");
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(w.error().message.find("rate budget"), std::string::npos);
  EXPECT_EQ(w.error().where, "aws:route53:ChangeResourceRecordSets");
}

TEST(AwsClientRetry, ConvergesAfterThrottlingAndServerErrors) {
  ManualClock clock;
  ManualSleeper sleeper(clock);
  RateBudget budget(clock, sleeper);
  ScriptedTransport http;
  http.script = {throttled(), HttpResponse{500, {}, "", "", false}};
  AwsClientOptions o;
  o.retry.base = Millis(100);
  AwsClient c(o, std::make_shared<StaticCredentialsProvider>(AwsCredentials{"AKID", "SECRET", "", {}, "test"}), http,
              clock, sleeper, budget);
  auto r = c.query("elasticloadbalancing", "DescribeTargetGroups", {});
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(http.seen.size(), 3u);
  EXPECT_EQ(c.stats().retries, 2);
  EXPECT_EQ(c.stats().throttled, 1);
  EXPECT_EQ(c.retryPolicy().quotaAvailable(), 500);  // tokens returned on success
  ASSERT_EQ(sleeper.slept.size(), 2u);
  EXPECT_LE(sleeper.slept[0].count(), 100);
  EXPECT_LE(sleeper.slept[1].count(), 200);
  // Every attempt is signed anew and the body carries Action and Version.
  EXPECT_NE(http.seen[0].body.find("Action=DescribeTargetGroups&Version=2015-12-01"), std::string::npos);
  for (auto& [k, v] : http.seen[2].headers) EXPECT_EQ(v.find("SECRET"), std::string::npos);
}

TEST(AwsClientRetry, GivesUpAfterMaxAttemptsAsUnavailable) {
  ManualClock clock;
  ManualSleeper sleeper(clock);
  RateBudget budget(clock, sleeper);
  ScriptedTransport http;
  http.script = {throttled(), throttled(), throttled(), throttled()};
  AwsClient c(AwsClientOptions{}, std::make_shared<StaticCredentialsProvider>(AwsCredentials{"AKID", "S", "", {}, "t"}),
              http, clock, sleeper, budget);
  auto r = c.query("autoscaling", "DescribeAutoScalingGroups", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(http.seen.size(), 3u);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(AwsError::codeOf(r.error()), "Throttling");
  EXPECT_NE(r.error().message.find("after 3 attempts"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().where, "aws:autoscaling:DescribeAutoScalingGroups");
}

TEST(AwsClientRetry, PermanentErrorsAreNotRetriedAndMapped) {
  ManualClock clock;
  ManualSleeper sleeper(clock);
  RateBudget budget(clock, sleeper);
  ScriptedTransport http;
  http.script = {HttpResponse{400, {}, "<Response><Errors><Error><Code>InvalidLaunchTemplateName.NotFoundException</Code><Message>nope</Message></Error></Errors><RequestID>q</RequestID></Response>", "", false}};
  AwsClient c(AwsClientOptions{}, std::make_shared<StaticCredentialsProvider>(AwsCredentials{"AKID", "S", "", {}, "t"}),
              http, clock, sleeper, budget);
  auto r = c.query("ec2", "DescribeLaunchTemplates", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(http.seen.size(), 1u);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_NE(r.error().message.find("request id q"), std::string::npos);
}

TEST(AwsError, MapsCodesOntoRampErrors) {
  auto e = [](int s, const char* code) { AwsError a; a.httpStatus = s; a.code = code;
    a.throttling = RetryPolicy::isThrottlingCode(code); return a.rampCode(); };
  EXPECT_EQ(e(400, "DuplicateTargetGroupName"), ErrorCode::kConflict);
  EXPECT_EQ(e(400, "AlreadyExists"), ErrorCode::kConflict);
  EXPECT_EQ(e(400, "TargetGroupNotFound"), ErrorCode::kNotFound);
  EXPECT_EQ(e(404, "NoSuchHostedZone"), ErrorCode::kNotFound);
  EXPECT_EQ(e(403, "SignatureDoesNotMatch"), ErrorCode::kUnauthenticated);
  EXPECT_EQ(e(403, "AccessDenied"), ErrorCode::kPermissionDenied);
  EXPECT_EQ(e(400, "ValidationError"), ErrorCode::kInvalid);
  EXPECT_EQ(e(400, "Throttling"), ErrorCode::kUnavailable);
  EXPECT_EQ(e(503, "ServiceUnavailable"), ErrorCode::kUnavailable);
  auto j = AwsError::parse(400, R"({"__type":"com.amazonaws.ssm#ParameterNotFound","message":"x"})", {});
  EXPECT_EQ(j.code, "ParameterNotFound");
  EXPECT_EQ(j.rampCode(), ErrorCode::kNotFound);
}

TEST(QueryPages, FollowsEachServicesTokenToTheLastPage) {
  ManualClock clock;
  ManualSleeper sleeper(clock);
  RateBudget budget(clock, sleeper);
  ScriptedTransport http;
  auto answer = [](std::string xml) { return HttpResponse{200, {}, std::move(xml), "", false}; };
  http.script = {
      answer("<DescribeTargetGroupsResponse><DescribeTargetGroupsResult><TargetGroups><member><TargetGroupName>a"
             "</TargetGroupName></member></TargetGroups><NextMarker>m2</NextMarker></DescribeTargetGroupsResult>"
             "</DescribeTargetGroupsResponse>"),
      answer("<DescribeTargetGroupsResponse><DescribeTargetGroupsResult><TargetGroups><member><TargetGroupName>b"
             "</TargetGroupName></member></TargetGroups></DescribeTargetGroupsResult></DescribeTargetGroupsResponse>"),
      answer("<DescribeLaunchTemplatesResponse><launchTemplates><item><launchTemplateName>t1</launchTemplateName>"
             "</item></launchTemplates><nextToken>n2</nextToken></DescribeLaunchTemplatesResponse>"),
      answer("<DescribeLaunchTemplatesResponse><launchTemplates><item><launchTemplateName>t2</launchTemplateName>"
             "</item></launchTemplates></DescribeLaunchTemplatesResponse>")};
  AwsClient c(AwsClientOptions{}, std::make_shared<StaticCredentialsProvider>(AwsCredentials{"AKID", "S", "", {}, "t"}),
              http, clock, sleeper, budget);

  auto groups = ElbV2Api(c).describeTargetGroups();
  ASSERT_TRUE(groups) << groups.error().describe();
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[0].name, "a");
  EXPECT_EQ((*groups)[1].name, "b");
  auto templates = Ec2Api(c).describeLaunchTemplates();
  ASSERT_TRUE(templates) << templates.error().describe();
  ASSERT_EQ(templates->size(), 2u);
  EXPECT_EQ((*templates)[1].name, "t2");

  ASSERT_EQ(http.seen.size(), 4u);
  EXPECT_EQ(http.seen[0].body.find("Marker="), std::string::npos);
  EXPECT_NE(http.seen[1].body.find("Marker=m2"), std::string::npos) << http.seen[1].body;
  EXPECT_EQ(http.seen[2].body.find("NextToken="), std::string::npos);
  EXPECT_NE(http.seen[3].body.find("NextToken=n2"), std::string::npos) << http.seen[3].body;
}
