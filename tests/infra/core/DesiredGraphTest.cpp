// The desired graph from config: resources, names, dependencies, tags, and
// the config keys for infrastructure (read into the model).
#include <set>

#include <gtest/gtest.h>

#include "config/AwsResourceNames.h"

#include "CoreFixtures.h"
#include "infra/DesiredGraph.h"

namespace ramp::infra {
namespace {

using testing::desiredOf;
using testing::loadFixture;

const Resource* find(const std::vector<Resource>& rs, const std::string& address) {
  for (const auto& r : rs) {
    if (r.address == address) return &r;
  }
  return nullptr;
}

TEST(InfraConfig, AwsKeysAreReadIntoTheModel) {
  auto cfg = loadFixture("aws-two.yaml");
  const auto* env = cfg.environment("prod");
  ASSERT_TRUE(env && env->aws);
  const auto& aws = *env->aws;
  EXPECT_EQ(aws.certificate, "arn:aws:acm:us-east-1:123456789012:certificate/aaaa-1111");
  ASSERT_EQ(aws.regionSettings.count("eu-west-1"), 1u);
  EXPECT_EQ(aws.regionSettings.at("eu-west-1").subnets, (std::vector<std::string>{"subnet-0e1", "subnet-0e2"}));
  EXPECT_EQ(aws.regionSettings.at("eu-west-1").vpc, "vpc-0e1");
  ASSERT_TRUE(aws.dns);
  EXPECT_EQ(aws.dns->zone, "example.com");
  EXPECT_EQ(aws.dns->routing, "latency");
  EXPECT_FALSE(aws.dns->ttl);
  ASSERT_EQ(aws.alarmDefinitions.size(), 2u);
  EXPECT_EQ(aws.alarmDefinitions[0].metric, "target_5xx_rate");
  EXPECT_EQ(aws.alarmDefinitions[1].period, std::chrono::milliseconds(60000));
  EXPECT_EQ(aws.alarmDefinitions[1].evaluationPeriods, 3);
}

TEST(InfraConfig, ErrorsNameTheField) {
  auto r = config::loadConfigText(R"(project: shop
environments:
  prod:
    provider: aws
    regions: [us-east-1]
    aws:
      subnets: [subnet-0a1, subnet-0a2]
      dns: {zone: example.com, routing: geo}
services:
  web: {run: {command: bin/web}}
)",
                                  "ramp.yaml");
  ASSERT_FALSE(r.ok());
  ASSERT_FALSE(r.diagnostics.empty());
  std::string msg = r.diagnostics[0].message;
  EXPECT_NE(msg.find("environments.prod.aws.dns.routing"), std::string::npos) << msg;
  EXPECT_EQ(r.diagnostics[0].line, 8);
}

TEST(DesiredGraph, UnknownEnvironmentAndRegionAreRefusedNamingTheFlag) {
  auto cfg = loadFixture("aws-one.yaml");
  auto e = desiredResources(cfg, "staging", {});
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().where, "--env");
  EXPECT_NE(e.error().message.find("prod"), std::string::npos);
  auto r = desiredResources(cfg, "prod", {"eu-west-1"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().where, "--region");
  EXPECT_NE(r.error().message.find("us-east-1"), std::string::npos);
}

TEST(DesiredGraph, AwsResourcesDependenciesAndTags) {
  auto cfg = loadFixture("aws-two.yaml");
  auto rs = desiredOf(cfg, "prod");
  // Sorted by address, unique.
  for (size_t i = 1; i < rs.size(); ++i) EXPECT_LT(rs[i - 1].address, rs[i].address);
  // Per region: lb, http + https listeners, 2 rules, topic, 2 alarms x 2 services = 10;
  // global: profile + 2 records.
  EXPECT_EQ(rs.size(), 2u * 10u + 3u);
  for (const std::string region : {"us-east-1", "eu-west-1"}) {
    std::string lb = "aws_lb.main[" + region + "]";
    ASSERT_TRUE(find(rs, lb)) << lb;
    const Resource* http = find(rs, "aws_lb_listener.http[" + region + "]");
    const Resource* https = find(rs, "aws_lb_listener.https[" + region + "]");
    ASSERT_TRUE(http && https);
    EXPECT_EQ(http->dependsOn, std::vector<std::string>{lb});
    EXPECT_EQ(http->attributes["default_action"], "redirect:HTTPS:443");
    EXPECT_EQ(https->attributes["port"], 443);
    const Resource* rule = find(rs, "aws_lb_listener_rule.web[" + region + "]");
    ASSERT_TRUE(rule);
    EXPECT_EQ(rule->dependsOn, std::vector<std::string>{https->address});
    EXPECT_EQ(rule->attributes["condition"]["host_header"][0], "web.prod.example.com");
    // The service's alarms: its rollback triggers, named per service.
    const Resource* alarm = find(rs, "aws_cloudwatch_alarm.web/errors[" + region + "]");
    ASSERT_TRUE(alarm);
    EXPECT_EQ(alarm->name, "ramp-shop-prod-web/errors");
    EXPECT_EQ(alarm->dependsOn, (std::vector<std::string>{lb, "aws_sns_topic.alerts[" + region + "]"}));
    ASSERT_TRUE(find(rs, "aws_cloudwatch_alarm.api/errors[" + region + "]"));
    EXPECT_EQ(find(rs, lb)->attributes["name"], "ramp-shop-prod-" + config::regionShort(region));
  }
  EXPECT_EQ(find(rs, "aws_lb.main[eu-west-1]")->attributes["subnets"][0], "subnet-0e1");
  EXPECT_EQ(find(rs, "aws_lb.main[us-east-1]")->attributes["subnets"][0], "subnet-0a1");
  EXPECT_EQ(find(rs, "aws_lb_listener.https[eu-west-1]")->attributes["certificate_arn"],
            "arn:aws:acm:eu-west-1:123456789012:certificate/eeee-2222");
  const Resource* record = find(rs, "aws_route53_record.web");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->region, "");
  EXPECT_EQ(record->dependsOn, (std::vector<std::string>{"aws_lb.main[eu-west-1]", "aws_lb.main[us-east-1]"}));
  EXPECT_EQ(record->attributes["sets"].size(), 2u);
  EXPECT_EQ(record->attributes["sets"][0]["region"], "eu-west-1");
  ASSERT_TRUE(find(rs, "aws_iam_instance_profile.main"));
  for (const auto& r : rs) {
    EXPECT_EQ(r.tags["ramp:project"], "shop") << r.address;
    EXPECT_EQ(r.tags["ramp:env"], "prod") << r.address;
    EXPECT_EQ(r.tags["ramp:address"], r.address);
    EXPECT_EQ(r.tags["ramp:managed-by"], "infra");
    EXPECT_EQ(r.tags["ramp:region"], r.region.empty() ? "global" : r.region);
  }
}

TEST(DesiredGraph, OneRegionKeepsGlobalResources) {
  auto cfg = loadFixture("aws-two.yaml");
  auto rs = desiredOf(cfg, "prod", {"eu-west-1"});
  for (const auto& r : rs) EXPECT_TRUE(r.region == "eu-west-1" || r.region.empty()) << r.address;
  EXPECT_TRUE(find(rs, "aws_route53_record.api"));
  EXPECT_TRUE(find(rs, "aws_lb.main[eu-west-1]"));
  EXPECT_FALSE(find(rs, "aws_lb.main[us-east-1]"));
}

TEST(DesiredGraph, WithoutCertificateOrDnsRulesUsePathsOnHttp) {
  auto r = config::loadConfigText(R"(project: shop
environments:
  prod:
    provider: aws
    regions: [us-east-1]
    aws: {subnets: [subnet-0a1, subnet-0a2]}
services:
  web: {run: {command: bin/web}}
)",
                                  "ramp.yaml");
  ASSERT_TRUE(r.ok());
  auto rs = desiredOf(*r.config, "prod");
  EXPECT_FALSE(find(rs, "aws_lb_listener.https[us-east-1]"));
  const Resource* rule = find(rs, "aws_lb_listener_rule.web[us-east-1]");
  ASSERT_TRUE(rule);
  EXPECT_EQ(rule->dependsOn, std::vector<std::string>{"aws_lb_listener.http[us-east-1]"});
  EXPECT_EQ(rule->attributes["condition"]["path_pattern"], (nlohmann::json{"/web", "/web/*"}));
  EXPECT_FALSE(find(rs, "aws_route53_record.web"));
  EXPECT_EQ(find(rs, "aws_sns_topic.alerts[us-east-1]")->name, "ramp-shop-prod-alerts");
  // No vpc in the config: not a managed attribute (a refresh must not see a change in it).
  EXPECT_FALSE(find(rs, "aws_lb.main[us-east-1]")->attributes.contains("vpc"));
  EXPECT_FALSE(find(rs, "aws_lb.main[us-east-1]")->attributes.contains("security_groups"));
}

TEST(DesiredGraph, LocalListenerWithoutFixedPortDoesNotManageThePort) {
  auto r = config::loadConfigText("project: shop\nenvironments: {int: {}}\nservices: {web: {run: {command: x}}}\n",
                                  "ramp.yaml");
  ASSERT_TRUE(r.ok());
  auto rs = desiredOf(*r.config, "int");
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_FALSE(rs[0].attributes.contains("port"));
  EXPECT_EQ(rs[0].region, "local");
}

TEST(DesiredGraph, DeterministicAndNamesWithinAwsLimits) {
  auto cfg = loadFixture("aws-two.yaml");
  auto a = desiredOf(cfg, "prod");
  auto b = desiredOf(cfg, "prod");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].address, b[i].address);
    EXPECT_EQ(a[i].attributes, b[i].attributes);
  }
  using config::loadBalancerName;
  using config::regionShort;
  EXPECT_EQ(regionShort("us-east-1"), "use1");
  EXPECT_EQ(regionShort("eu-west-1"), "euw1");
  EXPECT_EQ(regionShort("ap-southeast-2"), "apse2");
  EXPECT_EQ(regionShort("eu-central-1"), "euc1");
  EXPECT_EQ(regionShort("local"), "local");
  std::string longName = loadBalancerName("a-very-long-project-name", "production_eu", "ap-southeast-2");
  EXPECT_LE(longName.size(), 32u);
  EXPECT_EQ(longName, loadBalancerName("a-very-long-project-name", "production_eu", "ap-southeast-2"));
  EXPECT_NE(longName, loadBalancerName("a-very-long-project-name", "production_eu", "ap-southeast-1"));
  EXPECT_EQ(longName.find('_'), std::string::npos);
  EXPECT_NE(longName.back(), '-');
  EXPECT_EQ(loadBalancerName("shop", "prod", "us-east-1"), "ramp-shop-prod-use1");
  EXPECT_EQ(loadBalancerName("shop", "prod", "us-east-1", "my-alb"), "my-alb");
}

TEST(DesiredGraph, RulePrioritiesAreUniqueAndStableWhenServicesAreAdded) {
  std::string base = "project: shop\nenvironments:\n  prod:\n    provider: aws\n    regions: [us-east-1]\n"
                     "    aws: {subnets: [subnet-0a1, subnet-0a2]}\nservices:\n";
  std::string two = base + "  web: {run: {command: x}}\n  api: {run: {command: x}}\n";
  std::string many = two;
  for (int i = 0; i < 40; ++i) many += "  s" + std::to_string(i) + ": {run: {command: x}}\n";
  auto r2 = config::loadConfigText(two, "a.yaml");
  auto rm = config::loadConfigText(many, "b.yaml");
  ASSERT_TRUE(r2.ok() && rm.ok());
  auto a = desiredOf(*r2.config, "prod");
  auto b = desiredOf(*rm.config, "prod");
  EXPECT_EQ(find(a, "aws_lb_listener_rule.web[us-east-1]")->attributes["priority"],
            find(b, "aws_lb_listener_rule.web[us-east-1]")->attributes["priority"]);
  // Each service's rule and the two pinning rules just below it (made by
  // deployments) never collide with another service's.
  std::set<int> prios;
  for (const auto& r : b) {
    if (r.type == "aws_lb_listener_rule") {
      int p = r.attributes["priority"];
      EXPECT_GE(p, 100);
      EXPECT_LE(p, 49099);
      EXPECT_EQ((p - 100) % 3, 0) << p;
      for (int q : {p, config::headerPinPriority(p), config::cookiePinPriority(p)}) {
        EXPECT_TRUE(prios.insert(q).second) << "duplicate priority " << q;
      }
    }
  }
  EXPECT_EQ(prios.size(), 3u * 42u);
}

TEST(DesiredGraph, LocalEnvironmentHasOneListenerPerService) {
  auto cfg = loadFixture("local.yaml");
  auto rs = desiredOf(cfg, "int");
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].address, "local_listener.api[local]");
  EXPECT_EQ(rs[1].address, "local_listener.web[local]");
  EXPECT_EQ(rs[1].attributes["port"], 8080);
  EXPECT_EQ(rs[1].attributes["service"], "web");
}

}  // namespace
}  // namespace ramp::infra
