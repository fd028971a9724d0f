// AwsInfraProvider against moto: the InfraProvider contract (idempotent
// create, batched readMany with calls counted, update in place, remove twice,
// listTagged finds leftovers) for every aws_* type, plus drift made behind
// ramp's back through the typed APIs, and bad input named by address.
#include <gtest/gtest.h>

#include "../aws_provider/MotoWorld.h"
#include "providers/aws/AlarmApi.h"
#include "infra/aws/AwsInfraProvider.h"
#include "infra/aws/IamApi.h"
#include "infra/aws/LoadBalancerApi.h"
#include "providers/aws/Route53Api.h"
#include "infra/aws/TopicApi.h"

namespace ramp::infra::aws {
namespace {

using nlohmann::json;
using providers::aws::test::MotoWorld;
using providers::aws::AlarmApi;
using providers::aws::Route53Api;
using providers::aws::MetricAlarmSpec;

class AwsInfraProviderTest : public MotoWorld {
 protected:
  void SetUp() override {
    MotoWorld::SetUp();
    if (HasFatalFailure()) return;
    providers::aws::AwsClientOptions o;
    o.region = "us-east-1";
    o.endpointOverride = endpoint();
    o.retry.base = Millis(5);
    o.account = "infra-" + std::to_string(reinterpret_cast<uintptr_t>(this));
    provider = std::make_unique<AwsInfraProvider>(o, providers::aws::test::testCredentials(),
                                                  providers::aws::AwsHttpClient::shared(), SystemClock::instance(),
                                                  providers::aws::ThreadSleeper::instance(), budget);
    subnets = envs.byEnv["prod"].subnets;
    std::sort(subnets.begin(), subnets.end());
    auto zone = Route53Api(clients->forRegion("us-east-1")).createHostedZone("example.com", "infra-test");
    ASSERT_TRUE(zone) << zone.error().describe();
    zoneId = *zone;
  }

  static constexpr const char* kLb = "aws_lb.main[us-east-1]";
  static constexpr const char* kHttp = "aws_lb_listener.http[us-east-1]";
  static constexpr const char* kTopic = "aws_sns_topic.alerts[us-east-1]";

  // As infra/DesiredGraph makes them: address from the local name, provider name apart.
  Resource res(const std::string& type, const std::string& local, const std::string& name, json attrs,
               const std::string& region = "us-east-1", std::vector<std::string> dependsOn = {}) {
    Resource r;
    r.type = type;
    r.name = name;
    r.region = region;
    r.address = type + "." + local + (region.empty() ? "" : "[" + region + "]");
    r.attributes = std::move(attrs);
    r.dependsOn = std::move(dependsOn);
    r.tags = {{"ramp:project", "shop"},
              {"ramp:env", "prod"},
              {"ramp:region", region.empty() ? "global" : region},
              {"ramp:address", r.address},
              {"ramp:managed-by", "infra"}};
    return r;
  }
  Resource lb(const std::string& local = "main", const std::string& name = "ramp-shop-prod-use1") {
    return res("aws_lb", local, name,
               {{"name", name}, {"type", "application"}, {"scheme", "internet-facing"}, {"ip_address_type", "ipv4"},
                {"subnets", {subnets[1], subnets[0]}}, {"security_groups", json::array()}, {"vpc", nullptr}});
  }
  Resource listener(const std::string& lbAddress = kLb) {
    return res("aws_lb_listener", "http", "ramp-shop-prod-use1:80",
               {{"load_balancer", lbAddress}, {"port", 80}, {"protocol", "HTTP"}, {"default_action", "fixed-response:404"}},
               "us-east-1", {lbAddress});
  }
  Resource rule() {
    return res("aws_lb_listener_rule", "crawler", "ramp-shop-prod-use1/crawler",
               {{"listener", kHttp}, {"priority", 10},
                {"condition", {{"host_header", {"crawler.prod.example.com"}}}}, {"service", "crawler"}},
               "us-east-1", {kHttp});
  }
  Resource topic() {
    return res("aws_sns_topic", "alerts", "ramp-shop-prod-alerts", {{"name", "ramp-shop-prod-alerts"}});
  }
  Resource alarm(double threshold = 0.05) {
    return res("aws_cloudwatch_alarm", "errors", "ramp-shop-prod-errors",
               {{"name", "ramp-shop-prod-errors"}, {"metric", "target_5xx_rate"}, {"namespace", "AWS/ApplicationELB"},
                {"metric_name", "HTTPCode_Target_5XX_Count"}, {"statistic", "Sum"}, {"extended_statistic", nullptr},
                {"divide_by", "RequestCount"}, {"comparison", "GreaterThanThreshold"}, {"threshold", threshold},
                {"period", 60}, {"evaluation_periods", 3}, {"load_balancer", kLb}, {"alarm_actions", {kTopic}}},
               "us-east-1", {kLb, kTopic});
  }
  Resource profile() {
    return res("aws_iam_instance_profile", "main", "ramp-shop-prod", {{"name", "ramp-shop-prod"}, {"path", "/"}}, "");
  }
  Resource record(json sets, const std::string& routing = "latency") {
    return res("aws_route53_record", "crawler", "crawler.prod.example.com",
               {{"zone", "example.com"}, {"name", "crawler.prod.example.com"}, {"type", "A"}, {"alias", true},
                {"ttl", nullptr}, {"routing", routing}, {"sets", std::move(sets)}},
               "", {kLb});
  }
  static json latencySet(const std::string& region, const std::string& lbAddress) {
    return {{"set_identifier", region}, {"target", lbAddress}, {"region", region}};
  }

  // Creates r with the states made so far as its dependencies.
  ResourceState make(const Resource& r) {
    auto s = provider->create(r, "token-" + r.address, made);
    EXPECT_TRUE(s) << r.address << ": " << s.error().describe();
    if (!s) return {};
    made[r.address] = *s;
    return *s;
  }
  void makeAll() {
    make(lb());
    make(listener());
    make(rule());
    make(topic());
    make(alarm());
    make(profile());
    make(record(json::array({latencySet("us-east-1", kLb)})));
  }
  std::vector<Resource> all() {
    return {lb(), listener(), rule(), topic(), alarm(), profile(),
            record(json::array({latencySet("us-east-1", kLb)}))};
  }
  ResourceState readBack(const Resource& r) {
    auto got = provider->readMany(r.type, r.region, {r});
    EXPECT_TRUE(got) << got.error().describe();
    if (!got || !got->contains(r.address)) return {};
    return got->at(r.address);
  }
  bool exists(const Resource& r) {
    auto got = provider->readMany(r.type, r.region, {r});
    EXPECT_TRUE(got) << got.error().describe();
    return got && got->contains(r.address);
  }

  std::unique_ptr<AwsInfraProvider> provider;
  std::vector<std::string> subnets;
  std::string zoneId;
  std::map<std::string, ResourceState> made;
};

TEST_F(AwsInfraProviderTest, CreatedResourcesReadBackWithTheDesiredAttributes) {
  makeAll();
  for (const auto& r : all()) {
    auto s = readBack(r);
    EXPECT_EQ(s.address, r.address);
    EXPECT_FALSE(s.id.empty()) << r.address;
    // What the planner compares: no difference right after an apply.
    EXPECT_EQ(s.attributes, r.attributes) << r.address << "\nread: " << s.attributes.dump()
                                          << "\ndesired: " << r.attributes.dump();
  }
  // The alarm points at the load balancer and the topic by their real ids.
  auto alarms = AlarmApi(clients->forRegion("us-east-1")).describeAlarms({alarm().name});
  ASSERT_TRUE(alarms);
  ASSERT_EQ(alarms->size(), 1u);
  EXPECT_EQ(alarms->front().spec.alarmActions, std::vector<std::string>{made[topic().address].id});
  EXPECT_TRUE(alarms->front().spec.dimensions["LoadBalancer"].starts_with("app/ramp-shop-prod-use1/"));
  // The record aliases the load balancer with latency routing.
  auto sets = Route53Api(clients->forRegion("us-east-1")).listRecordSets(zoneId, "crawler.prod.example.com", "A");
  ASSERT_TRUE(sets);
  ASSERT_EQ(sets->size(), 1u);
  EXPECT_EQ(sets->front().region, "us-east-1");
  EXPECT_TRUE(sets->front().aliasDnsName.starts_with("ramp-shop-prod-use1-"));
}

TEST_F(AwsInfraProviderTest, CreateTwiceMakesNoTwin) {
  makeAll();
  std::map<std::string, ResourceState> first = made;
  for (const auto& r : all()) {
    auto again = provider->create(r, "token-" + r.address, first);
    ASSERT_TRUE(again) << r.address << ": " << again.error().describe();
    EXPECT_EQ(again->id, first[r.address].id) << r.address;
  }
  auto& c = clients->forRegion("us-east-1");
  LoadBalancerApi elb(c);
  auto lbs = elb.describeLoadBalancersByName({"ramp-shop-prod-use1"});
  ASSERT_TRUE(lbs);
  EXPECT_EQ(lbs->size(), 1u);
  auto listeners = elb.describeListeners(lbs->front().arn);
  ASSERT_TRUE(listeners);
  EXPECT_EQ(listeners->size(), 1u);
  auto rules = elb.describeRules(listeners->front().arn);
  ASSERT_TRUE(rules);
  EXPECT_EQ(std::count_if(rules->begin(), rules->end(), [](const AlbRule& r) { return r.priority != 0; }), 1);
  auto topics = TopicApi(c).listTopics();
  ASSERT_TRUE(topics);
  EXPECT_EQ(topics->size(), 1u);
  auto profiles = IamApi(c).listInstanceProfiles();
  ASSERT_TRUE(profiles);
  EXPECT_EQ(profiles->size(), 1u);
  auto sets = Route53Api(c).listRecordSets(zoneId, "crawler.prod.example.com", "A");
  ASSERT_TRUE(sets);
  EXPECT_EQ(sets->size(), 1u);
}

TEST_F(AwsInfraProviderTest, ReadManyBatchesAndCountsCalls) {
  // 120 alarms: two DescribeAlarms calls (100 names each), two missing names change nothing.
  std::vector<Resource> alarms;
  AlarmApi api(clients->forRegion("us-east-1"));
  budget.setSpec("monitoring:alarm-mutating", {1000, 1000});  // setup only: AWS allows 3/s
  for (int i = 0; i < 120; ++i) {
    auto r = res("aws_cloudwatch_alarm", "a" + std::to_string(i), "a" + std::to_string(i),
                 {{"namespace", "AWS/ApplicationELB"}, {"metric_name", "RequestCount"}, {"statistic", "Sum"},
                  {"threshold", i}, {"period", 60}, {"evaluation_periods", 1}});
    MetricAlarmSpec s;
    s.name = r.name;
    s.ns = "AWS/ApplicationELB";
    s.metricName = "RequestCount";
    s.statistic = "Sum";
    s.threshold = i;
    ASSERT_TRUE(api.putMetricAlarm(s, {}));
    alarms.push_back(r);
  }
  alarms.push_back(res("aws_cloudwatch_alarm", "missing-1", "missing-1", json::object()));
  alarms.push_back(res("aws_cloudwatch_alarm", "missing-2", "missing-2", json::object()));
  uint64_t before = provider->callsMade();
  auto got = provider->readMany("aws_cloudwatch_alarm", "us-east-1", alarms);
  ASSERT_TRUE(got) << got.error().describe();
  EXPECT_EQ(provider->callsMade() - before, 2u);
  EXPECT_EQ(got->size(), 120u);
  EXPECT_EQ(got->at("aws_cloudwatch_alarm.a7[us-east-1]").attributes["threshold"], 7);
  EXPECT_FALSE(got->contains("aws_cloudwatch_alarm.missing-1[us-east-1]"));

  // Three load balancers and a missing one: at most two DescribeLoadBalancers
  // (one batch; AWS fails a batch naming a missing one, then one listing).
  std::vector<Resource> lbs;
  for (int i = 0; i < 3; ++i) lbs.push_back(lb("lb" + std::to_string(i), "lb-" + std::to_string(i)));
  for (const auto& r : lbs) make(r);
  lbs.push_back(lb("missing", "lb-missing"));
  before = provider->callsMade();
  auto found = provider->readMany("aws_lb", "us-east-1", lbs);
  ASSERT_TRUE(found) << found.error().describe();
  EXPECT_LE(provider->callsMade() - before, 2u);
  EXPECT_EQ(found->size(), 3u);
  EXPECT_FALSE(found->contains("aws_lb.missing[us-east-1]"));

  // A type from another provider is refused, naming the type.
  auto bad = provider->readMany("local_listener", "us-east-1", {});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("local_listener"), std::string::npos);
}

TEST_F(AwsInfraProviderTest, UpdateChangesAttributesInPlace) {
  makeAll();
  // Alarm threshold, rule hosts and priority, a second region in the record.
  auto a = alarm(0.2);
  auto s = provider->update(a, made[a.address], made);
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ(s->id, made[a.address].id);
  EXPECT_EQ(s->attributes["threshold"], 0.2);

  auto r = rule();
  r.attributes["condition"] = {{"host_header", {"crawler.prod.example.com", "a.example.com"}}};
  r.attributes["priority"] = 20;
  auto rs = provider->update(r, made[r.address], made);
  ASSERT_TRUE(rs) << rs.error().describe();
  EXPECT_EQ(rs->id, made[r.address].id);
  EXPECT_EQ(rs->attributes, r.attributes);

  // A load balancer in eu-west-1, then the record routes to both regions.
  auto& eu = clients->forRegion("eu-west-1");
  auto euSubnets = eu.query("ec2", "DescribeSubnets", {});
  ASSERT_TRUE(euSubnets);
  std::vector<std::string> two;
  std::set<std::string> zones;
  for (auto& item : euSubnets->root().child("subnetSet").children("item")) {
    if (zones.insert(item.get("availabilityZone")).second && two.size() < 2) two.push_back(item.get("subnetId"));
  }
  std::sort(two.begin(), two.end());
  auto euLb = res("aws_lb", "main", "ramp-shop-prod-euw1", {{"scheme", "internet-facing"}, {"subnets", two}}, "eu-west-1");
  make(euLb);
  auto rec = record(json::array({{{"set_identifier", "eu-west-1"}, {"target", euLb.address}, {"weight", 1}},
                                 {{"set_identifier", "us-east-1"}, {"target", kLb}, {"weight", 1}}}),
                    "weighted");
  auto rr = provider->update(rec, made[rec.address], made);
  ASSERT_TRUE(rr) << rr.error().describe();
  EXPECT_EQ(rr->attributes, rec.attributes);
  auto sets = Route53Api(clients->forRegion("us-east-1")).listRecordSets(zoneId, "crawler.prod.example.com", "A");
  ASSERT_TRUE(sets);
  ASSERT_EQ(sets->size(), 2u);  // the latency record set was replaced, not kept beside
  for (const auto& set : *sets) EXPECT_TRUE(set.weight.has_value());

  // Listener: a redirect instead of a fixed answer, in place (same ARN).
  auto l = listener();
  l.attributes["default_action"] = "redirect:HTTPS:443";
  auto ls = provider->update(l, made[l.address], made);
  ASSERT_TRUE(ls) << ls.error().describe();
  EXPECT_EQ(ls->id, made[l.address].id);
  EXPECT_EQ(ls->attributes, l.attributes);
}

// Remove, remove again, read absent: the conformance suite's
// RemoveThenReadIsAbsentAndRemovingAgainSucceeds (tests/infra_conformance).

TEST_F(AwsInfraProviderTest, ListTaggedFindsLeftoversButNotFleets) {
  makeAll();
  auto& c = clients->forRegion("us-east-1");
  // Made behind ramp's back with ramp's tags: a topic and an alarm.
  Tags ramp{{"ramp:project", "shop"}, {"ramp:env", "prod"}, {"ramp:region", "us-east-1"},
            {"ramp:managed-by", "infra"}, {"ramp:address", "aws_sns_topic.stray[us-east-1]"}};
  MetricAlarmSpec stray;
  stray.name = "stray-alarm";
  stray.ns = "AWS/ApplicationELB";
  stray.metricName = "RequestCount";
  stray.statistic = "Sum";
  Tags strayAlarmTags = ramp;
  strayAlarmTags["ramp:address"] = "aws_cloudwatch_alarm.stray[us-east-1]";
  ASSERT_TRUE(AlarmApi(c).putMetricAlarm(stray, strayAlarmTags));
  ASSERT_TRUE(TopicApi(c).createTopic("stray", ramp));
  // A deployment's resource (ramp:fleet) and another environment's: not leftovers of prod's IaC.
  ASSERT_TRUE(TopicApi(c).createTopic("fleet-topic", {{"ramp:project", "shop"}, {"ramp:env", "prod"},
                                                       {"ramp:region", "us-east-1"}, {"ramp:fleet", "f1"}}));
  Tags other = ramp;
  other["ramp:env"] = "int";
  other["ramp:address"] = "aws_sns_topic.int-topic[us-east-1]";
  ASSERT_TRUE(TopicApi(c).createTopic("int-topic", other));

  auto listed = provider->listTagged("shop", "prod", "us-east-1");
  ASSERT_TRUE(listed) << listed.error().describe();
  std::set<std::string> addresses;
  for (const auto& s : *listed) addresses.insert(s.address);
  std::set<std::string> expected{"aws_sns_topic.stray[us-east-1]", "aws_cloudwatch_alarm.stray[us-east-1]"};
  for (const auto& r : all()) {
    if (!r.region.empty()) expected.insert(r.address);
  }
  EXPECT_EQ(addresses, expected);
  for (const auto& s : *listed) {
    if (s.address == "aws_sns_topic.stray[us-east-1]") {
      EXPECT_EQ(s.type, "aws_sns_topic");
      EXPECT_EQ(s.name, "stray");
      EXPECT_FALSE(s.id.empty());
    }
  }
  // Another region has none; the global ones are the instance profile (records carry no tags).
  auto eu = provider->listTagged("shop", "prod", "eu-west-1");
  ASSERT_TRUE(eu) << eu.error().describe();
  EXPECT_TRUE(eu->empty());
  auto global = provider->listTagged("shop", "prod", "");
  ASSERT_TRUE(global) << global.error().describe();
  ASSERT_EQ(global->size(), 1u);
  EXPECT_EQ(global->front().address, profile().address);
  EXPECT_EQ(global->front().type, "aws_iam_instance_profile");
}

TEST_F(AwsInfraProviderTest, ChangesBehindRampsBackAreRead) {
  makeAll();
  auto& c = clients->forRegion("us-east-1");
  // Threshold changed and topic deleted outside ramp.
  auto alarms = AlarmApi(c).describeAlarms({alarm().name});
  ASSERT_TRUE(alarms && alarms->size() == 1);
  auto spec = alarms->front().spec;
  spec.threshold = 0.5;
  ASSERT_TRUE(AlarmApi(c).putMetricAlarm(spec, {}));
  ASSERT_TRUE(TopicApi(c).deleteTopic(made[topic().address].id));

  EXPECT_EQ(readBack(alarm()).attributes["threshold"], 0.5);
  EXPECT_FALSE(exists(topic()));
  // The alarm still points at the deleted topic's ARN: read as that ARN, not as ramp's topic.
  EXPECT_EQ(readBack(alarm()).attributes["alarm_actions"], json::array({made[topic().address].id}));
  // Re-creating converges: topic exists again, alarm back to its definition.
  ASSERT_TRUE(provider->create(topic(), "t2", made));
  EXPECT_TRUE(exists(topic()));
  auto a = provider->update(alarm(), readBack(alarm()), made);
  ASSERT_TRUE(a) << a.error().describe();
  EXPECT_EQ(a->attributes, alarm().attributes);
}

TEST_F(AwsInfraProviderTest, RefusesToTakeOverWhatIsNotRamps) {
  // A load balancer with the same name that ramp did not make.
  auto& c = clients->forRegion("us-east-1");
  ASSERT_TRUE(LoadBalancerApi(c).createLoadBalancer("ramp-shop-prod-use1", "internet-facing", subnets, {}, {}));
  auto s = provider->create(lb(), "tok", {});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kConflict);
  EXPECT_EQ(s.error().where, "aws_lb.main[us-east-1]");
  EXPECT_NE(s.error().message.find("not ramp's"), std::string::npos) << s.error().message;
}

TEST_F(AwsInfraProviderTest, BadAttributesAreNamedByAddress) {
  make(lb());
  make(topic());
  auto a = alarm();
  a.attributes["metric"] = "target_5xx_ratio";
  a.attributes.erase("metric_name");
  auto s = provider->create(a, "tok", made);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(s.error().where, a.address + ".metric");
  EXPECT_NE(s.error().message.find("target_5xx_rate"), std::string::npos) << s.error().message;

  auto rec = record(json::array({{{"region", "us-east-1"}}}));
  auto r = provider->create(rec, "tok", made);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().where, rec.address + ".sets[0]");

  auto noZone = record(json::array({latencySet("us-east-1", kLb)}));
  noZone.attributes["zone"] = "nope.example.org";
  auto z = provider->create(noZone, "tok", made);
  ASSERT_FALSE(z);
  EXPECT_EQ(z.error().code, ErrorCode::kNotFound);
  EXPECT_NE(z.error().message.find("nope.example.org"), std::string::npos);

  auto l = listener("aws_lb.nowhere[us-east-1]");
  auto ls = provider->create(l, "tok", made);
  ASSERT_FALSE(ls);
  EXPECT_EQ(ls.error().where, l.address + ".load_balancer");
}

}  // namespace
}  // namespace ramp::infra::aws
