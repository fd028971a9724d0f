// Plan → apply → plan again → region addition → leftovers by tags → drift,
// with the real pieces: config, DesiredGraph, Refresher, Planner, Applier
// (SQLite store in the test's RAMP_HOME), Drift and AwsInfraProvider against
// moto. (Through `ramp plan/apply/drift` once those commands exist; see
// docs/infra.md, AWS.)
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>

#include "../aws_provider/MotoWorld.h"
#include "config/ConfigLoader.h"
#include "core/Sha256.h"
#include "infra/Applier.h"
#include "infra/DesiredGraph.h"
#include "infra/Drift.h"
#include "infra/Planner.h"
#include "infra/Refresher.h"
#include "infra/ResourceJson.h"
#include "infra/StoreInfraStore.h"
#include "providers/aws/AlarmApi.h"
#include "infra/aws/AwsInfraProvider.h"
#include "infra/aws/LoadBalancerApi.h"
#include "providers/aws/Route53Api.h"
#include "infra/aws/TopicApi.h"
#include "store/Store.h"

namespace ramp::infra::aws {
namespace {

using nlohmann::json;
using providers::aws::test::MotoWorld;
using providers::aws::AlarmApi;
using providers::aws::Route53Api;
using providers::aws::MetricAlarmSpec;

struct Network {
  std::string vpc, sg;
  std::vector<std::string> subnets;
  std::string certificate;
};

class InfraAwsEndToEnd : public MotoWorld {
 protected:
  void SetUp() override {
    MotoWorld::SetUp();
    if (HasFatalFailure()) return;
    providers::aws::AwsClientOptions o;
    o.region = "us-east-1";
    o.endpointOverride = endpoint();
    o.retry.base = Millis(5);
    o.account = "e2e-" + std::to_string(reinterpret_cast<uintptr_t>(this));
    provider = std::make_unique<AwsInfraProvider>(o, providers::aws::test::testCredentials(),
                                                  providers::aws::AwsHttpClient::shared(), SystemClock::instance(),
                                                  providers::aws::ThreadSleeper::instance(), budget);
    budget.setSpec("monitoring:alarm-mutating", {100, 100});  // AWS paces PutMetricAlarm at 3/s; moto need not
    const char* home = std::getenv("RAMP_HOME");
    dir = std::filesystem::path(home && *home ? home : "/tmp") / ("infra-aws-e2e-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    auto s = store::openStore("sqlite://" + (dir / "store.db").string());
    ASSERT_TRUE(s) << s.error().describe();
    db = std::move(*s);
    infraStore = std::make_unique<StoreInfraStore>(*db, SystemClock::instance());
    ASSERT_TRUE(Route53Api(clients->forRegion("us-east-1")).createHostedZone("example.com", "e2e"));
    us = network("us-east-1");
    eu = network("eu-west-1");
  }
  void TearDown() override {
    infraStore.reset();
    db.reset();
    std::filesystem::remove_all(dir);
  }

  Network network(const std::string& region) {
    Network n;
    auto& c = clients->forRegion(region);
    auto subnets = c.query("ec2", "DescribeSubnets", {});
    EXPECT_TRUE(subnets);
    std::set<std::string> zones;
    for (auto& item : subnets->root().child("subnetSet").children("item")) {
      if (n.vpc.empty()) n.vpc = item.get("vpcId");
      if (item.get("vpcId") != n.vpc || !zones.insert(item.get("availabilityZone")).second) continue;
      if (n.subnets.size() < 2) n.subnets.push_back(item.get("subnetId"));
    }
    auto groups = c.query("ec2", "DescribeSecurityGroups", {});
    EXPECT_TRUE(groups);
    n.sg = groups->root().find("groupId").text();
    auto cert = c.json("acm", "CertificateManager", "RequestCertificate", {{"DomainName", "*.example.com"}});
    EXPECT_TRUE(cert) << (cert ? "" : cert.error().describe());
    if (cert) n.certificate = cert->value("CertificateArn", "");
    return n;
  }

  config::Config configWith(bool twoRegions) {
    std::string text = "project: shop\nenvironments:\n  prod:\n    provider: aws\n    regions: [us-east-1" +
                       std::string(twoRegions ? ", eu-west-1" : "") + "]\n    aws:\n      vpc: " + us.vpc +
                       "\n      subnets: [" + us.subnets[0] + ", " + us.subnets[1] + "]\n      security_groups: [" +
                       us.sg + "]\n      image: ami-0abc\n      certificate: " + us.certificate + "\n";
    if (twoRegions) {
      text += "      region_settings:\n        eu-west-1:\n          vpc: " + eu.vpc + "\n          subnets: [" +
              eu.subnets[0] + ", " + eu.subnets[1] + "]\n          security_groups: [" + eu.sg +
              "]\n          certificate: " + eu.certificate + "\n";
    }
    text +=
        "      dns: {zone: example.com, routing: latency}\n"
        "      alarm_definitions:\n"
        "        - {name: errors, metric: target_5xx_rate, threshold: 5, period: 60s, evaluation_periods: 3}\n"
        "        - {name: slow, metric: latency_p99, threshold: 1.5}\n"
        "pipeline: [prod]\nservices:\n  web:\n    run: {command: bin/web}\n  api:\n    run: {command: bin/api}\n";
    auto r = config::loadConfigText(text, "ramp.yaml");
    EXPECT_TRUE(r.ok()) << (r.diagnostics.empty() ? "" : r.diagnostics[0].message) << "\n" << text;
    return r.ok() ? *r.config : config::Config{};
  }

  // `ramp plan --env prod` with refresh.
  Plan planFor(const config::Config& cfg, std::vector<Resource>* desiredOut = nullptr) {
    auto desired = desiredResources(cfg, "prod", {});
    EXPECT_TRUE(desired) << desired.error().describe();
    auto state = infraStore->loadAll("shop", "prod");
    EXPECT_TRUE(state) << state.error().describe();
    auto refreshed = refresh(*provider, *desired, *state);
    EXPECT_TRUE(refreshed) << refreshed.error().describe();
    const auto* env = cfg.environment("prod");
    if (desiredOut) *desiredOut = *desired;
    return Planner::plan("shop", "prod", env->regions, *desired, *state, *refreshed);
  }

  static std::string describe(const Plan& p) {
    std::string out;
    for (const auto& c : p.changes) {
      out += c.address + " (" + std::to_string(static_cast<int>(c.action)) + ")";
      for (const auto& a : c.attributes) out += " " + a.name + ": " + a.before.dump() + " -> " + a.after.dump();
      out += "\n";
    }
    return out;
  }

  ApplyReport applyPlan(const Plan& p) {
    ApplyOptions o;
    o.actor = "e2e";
    auto r = Applier::apply(p, *provider, *infraStore, o);
    EXPECT_TRUE(r) << r.error().describe();
    if (!r) return {};
    for (const auto& c : r->outcomes) EXPECT_EQ(c.status, "done") << c.address << ": " << c.message;
    return *r;
  }

  std::unique_ptr<AwsInfraProvider> provider;
  std::filesystem::path dir;
  std::unique_ptr<store::Store> db;
  std::unique_ptr<StoreInfraStore> infraStore;
  Network us, eu;
};

TEST_F(InfraAwsEndToEnd, PlanApplyNoChangesRegionAdditionLeftoversAndDrift) {
  // 1. First plan: everything is a create.
  std::vector<Resource> desired;
  auto first = planFor(configWith(false), &desired);
  ASSERT_EQ(first.changes.size(), desired.size()) << describe(first);
  for (const auto& c : first.changes) EXPECT_EQ(c.action, Action::kCreate) << c.address;
  auto applied = applyPlan(first);
  EXPECT_EQ(applied.done, static_cast<int>(desired.size()));
  ASSERT_TRUE(applied.ok());

  // 2. Plan again (refreshed from AWS): nothing to do.
  auto again = planFor(configWith(false));
  EXPECT_TRUE(again.noOp()) << describe(again);

  // 3. Add eu-west-1: exactly eu-west-1's resources are created, plus the
  //    Route 53 records' new record sets (updates), nothing else.
  std::vector<Resource> desired2;
  auto grow = planFor(configWith(true), &desired2);
  size_t euResources = 0;
  for (const auto& r : desired2) euResources += r.region == "eu-west-1";
  size_t euCreates = 0, recordUpdates = 0;
  for (const auto& c : grow.changes) {
    if (c.region == "eu-west-1" && c.action == Action::kCreate) {
      ++euCreates;
    } else if (c.type == "aws_route53_record" && c.action == Action::kUpdate) {
      ++recordUpdates;
    } else {
      ADD_FAILURE() << "unexpected change " << c.address;
    }
  }
  EXPECT_EQ(euCreates, euResources) << describe(grow);
  EXPECT_EQ(recordUpdates, 2u) << describe(grow);  // web and api
  ASSERT_TRUE(applyPlan(grow).ok());
  uint64_t before = provider->callsMade();
  std::vector<Resource> all;
  auto after = planFor(configWith(true), &all);
  EXPECT_TRUE(after.noOp()) << describe(after);
  // The refresh is batched: per region 1 DescribeLoadBalancers, 2 for the
  // listeners, 5 for the rules, 2 for the alarms, 1 ListTopics; globally 1
  // ListInstanceProfiles and, for the records, 2 per region (targets) + 1
  // ListResourceRecordSets per record (the zone id is cached): 29 calls for
  // this environment however many services share a listener.
  uint64_t calls = provider->callsMade() - before;
  std::cout << "refresh of " << all.size() << " resources: " << calls << " API calls\n";
  EXPECT_LE(calls, 29u);
  // Each record now has one latency set per region.
  auto sets = Route53Api(clients->forRegion("us-east-1")).listRecordSets(
      Route53Api(clients->forRegion("us-east-1")).hostedZoneId("example.com").value(), "web.prod.example.com", "A");
  ASSERT_TRUE(sets);
  EXPECT_EQ(sets->size(), 2u);

  // 4. Listed by tags: exactly the desired set (records carry no tags).
  std::set<std::string> tagged, expected;
  for (const auto& region : {"us-east-1", "eu-west-1", ""}) {
    auto listed = provider->listTagged("shop", "prod", region);
    ASSERT_TRUE(listed) << listed.error().describe();
    for (const auto& s : *listed) EXPECT_TRUE(tagged.insert(s.address).second) << "twice: " << s.address;
  }
  for (const auto& r : desired2) {
    if (r.type != "aws_route53_record") expected.insert(r.address);
  }
  EXPECT_EQ(tagged, expected);

  // 5. Drift: clean, then an alarm's threshold changed and the topic deleted behind ramp's back.
  auto clean = Drift::detect("shop", "prod", {"us-east-1", "eu-west-1"}, *provider, *infraStore);
  ASSERT_TRUE(clean) << clean.error().describe();
  EXPECT_TRUE(clean->clean()) << clean->text();
  auto& c = clients->forRegion("us-east-1");
  auto alarms = AlarmApi(c).describeAlarms({"ramp-shop-prod-web/errors"});
  ASSERT_TRUE(alarms && alarms->size() == 1) << "alarm name";
  auto spec = alarms->front().spec;
  spec.threshold = 42;
  ASSERT_TRUE(AlarmApi(c).putMetricAlarm(spec, {}));
  auto topics = TopicApi(c).listTopics();
  ASSERT_TRUE(topics && topics->size() == 1);
  ASSERT_TRUE(TopicApi(c).deleteTopic(topics->front()));

  auto drift = Drift::detect("shop", "prod", {"us-east-1", "eu-west-1"}, *provider, *infraStore);
  ASSERT_TRUE(drift) << drift.error().describe();
  std::map<std::string, std::string> kinds;
  for (const auto& item : drift->items) kinds[item.address] = item.kind;
  EXPECT_EQ(kinds["aws_cloudwatch_alarm.web/errors[us-east-1]"], "changed") << drift->text();
  EXPECT_EQ(kinds["aws_sns_topic.alerts[us-east-1]"], "deleted") << drift->text();
  for (const auto& item : drift->items) {
    if (item.address == "aws_cloudwatch_alarm.web/errors[us-east-1]") {
      bool threshold = false;
      for (const auto& a : item.attributes) threshold |= a.name == "threshold" && a.after == 42;
      EXPECT_TRUE(threshold) << drift->text();
    }
  }
  // The plan repairs both (the alarm's threshold and its topic), nothing else in eu-west-1.
  auto repair = planFor(configWith(true));
  std::set<std::string> repaired;
  for (const auto& ch : repair.changes) repaired.insert(ch.address);
  EXPECT_TRUE(repaired.contains("aws_sns_topic.alerts[us-east-1]")) << describe(repair);
  EXPECT_TRUE(repaired.contains("aws_cloudwatch_alarm.web/errors[us-east-1]")) << describe(repair);
  for (const auto& ch : repair.changes) EXPECT_NE(ch.region, "eu-west-1") << ch.address;
}

// kill -9 after the provider calls, before anything was recorded: the next
// apply resumes the journal's intents with their client tokens, adopts what
// the killed one made (no twin), and nothing is left over.
TEST_F(InfraAwsEndToEnd, AnApplyKilledAfterItsCallsResumesWithoutTwinsOrLeftovers) {
  auto cfg = configWith(false);
  auto desired = desiredResources(cfg, "prod", {});
  ASSERT_TRUE(desired) << desired.error().describe();
  std::vector<Resource> reached;
  for (const auto& r : *desired) {
    if (r.type == "aws_lb" || r.type == "aws_sns_topic") reached.push_back(r);
  }
  ASSERT_EQ(reached.size(), 2u);
  for (const auto& r : reached) {
    JournalEntry e;
    e.applyId = "apply-killed";
    e.project = "shop";
    e.env = "prod";
    e.region = r.region;
    e.address = r.address;
    e.action = "create";
    e.clientToken = "tok-" + r.address;
    e.status = "intent";
    e.detail = {{"desired", resourceJson(r)}};
    ASSERT_TRUE(infraStore->appendJournal(e));
    ASSERT_TRUE(provider->create(r, e.clientToken, {}));  // reached AWS, then kill -9
  }
  auto plan = planFor(cfg);
  auto report = applyPlan(plan);
  EXPECT_EQ(report.resumed, 2) << report.toJson().dump();
  ASSERT_TRUE(report.ok()) << report.toJson().dump();

  auto& c = clients->forRegion("us-east-1");
  auto lbs = LoadBalancerApi(c).describeLoadBalancersByName({reached[0].type == "aws_lb" ? reached[0].name : reached[1].name});
  ASSERT_TRUE(lbs);
  EXPECT_EQ(lbs->size(), 1u);
  auto topics = TopicApi(c).listTopics();
  ASSERT_TRUE(topics);
  EXPECT_EQ(topics->size(), 1u);
  auto again = planFor(cfg);
  EXPECT_TRUE(again.noOp()) << describe(again);
  auto drift = Drift::detect("shop", "prod", {"us-east-1"}, *provider, *infraStore);
  ASSERT_TRUE(drift) << drift.error().describe();
  EXPECT_TRUE(drift->clean()) << drift->text();
  std::set<std::string> tagged, expected;
  for (const auto& region : {"us-east-1", ""}) {
    auto listed = provider->listTagged("shop", "prod", region);
    ASSERT_TRUE(listed) << listed.error().describe();
    for (const auto& s : *listed) tagged.insert(s.address);
  }
  for (const auto& r : *desired) {
    if (r.type != "aws_route53_record") expected.insert(r.address);
  }
  EXPECT_EQ(tagged, expected);
}

}  // namespace
}  // namespace ramp::infra::aws
