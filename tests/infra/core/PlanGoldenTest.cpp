// Golden-file tests of plan output (text without colour, and JSON) for the
// fixture configs under tests/infra/fixtures/, plus the structural checks
// each scenario promises (so a wrong golden cannot hide a wrong plan).
#include <set>

#include <gtest/gtest.h>

#include "CoreFixtures.h"
#include "infra/PlanJson.h"
#include "infra/PlanText.h"
#include "infra/Planner.h"

namespace ramp::infra {
namespace {

using testing::appliedState;
using testing::desiredOf;
using testing::expectGolden;
using testing::loadFixture;

void golden(const std::string& name, const Plan& p) {
  expectGolden(name + ".txt", planText(p, false));
  expectGolden(name + ".json", planJson(p).dump(2) + "\n");
}

int count(const Plan& p, Action a) {
  int n = 0;
  for (const auto& c : p.changes) n += c.action == a;
  return n;
}

TEST(PlanGolden, LocalProjectFromNothing) {
  auto cfg = loadFixture("local.yaml");
  Plan p = Planner::plan("shop", "int", {"local"}, desiredOf(cfg, "int"), {}, std::nullopt);
  ASSERT_EQ(p.changes.size(), 2u);
  for (const auto& c : p.changes) {
    EXPECT_EQ(c.action, Action::kCreate);
    EXPECT_EQ(c.type, "local_listener");
  }
  EXPECT_EQ(p.changes[0].desired->attributes["port"], 8080);
  golden("local-initial", p);
}

TEST(PlanGolden, AwsOneRegionFromNothing) {
  auto cfg = loadFixture("aws-one.yaml");
  auto desired = desiredOf(cfg, "prod");
  Plan p = Planner::plan("shop", "prod", {"us-east-1"}, desired, {}, std::nullopt);
  EXPECT_EQ(count(p, Action::kCreate), static_cast<int>(desired.size()));
  EXPECT_EQ(p.changes.size(), desired.size());
  // Dependency order: everything after what it depends on.
  std::set<std::string> seen;
  for (const auto& c : p.changes) {
    for (const auto& dep : c.desired->dependsOn) EXPECT_TRUE(seen.count(dep)) << c.address << " before " << dep;
    seen.insert(c.address);
  }
  golden("aws-one-initial", p);
}

TEST(PlanGolden, AppliedConfigIsNoOp) {
  auto cfg = loadFixture("aws-one.yaml");
  auto desired = desiredOf(cfg, "prod");
  Plan p = Planner::plan("shop", "prod", {"us-east-1"}, desired, appliedState("shop", "prod", desired), std::nullopt);
  EXPECT_TRUE(p.noOp());
  EXPECT_EQ(planSummary(p), "No changes. Infrastructure matches the configuration.");
  golden("aws-noop", p);
}

TEST(PlanGolden, AddingARegionCreatesExactlyThatRegionPlusTheDnsChange) {
  auto one = loadFixture("aws-one.yaml");
  auto two = loadFixture("aws-two.yaml");
  auto state = appliedState("shop", "prod", desiredOf(one, "prod"));
  auto desired = desiredOf(two, "prod");
  Plan p = Planner::plan("shop", "prod", {"us-east-1", "eu-west-1"}, desired, state, std::nullopt);
  int euCreates = 0, dnsUpdates = 0;
  for (const auto& c : p.changes) {
    if (c.region == "eu-west-1") {
      EXPECT_EQ(c.action, Action::kCreate) << c.address;
      ++euCreates;
    } else {
      EXPECT_EQ(c.type, "aws_route53_record") << "unexpected change " << c.address;
      EXPECT_EQ(c.action, Action::kUpdate) << c.address;
      ASSERT_EQ(c.attributes.size(), 1u) << c.address;
      EXPECT_EQ(c.attributes[0].name, "sets");
      ++dnsUpdates;
    }
  }
  int euDesired = 0;
  for (const auto& d : desired) euDesired += d.region == "eu-west-1";
  EXPECT_EQ(euCreates, euDesired);
  EXPECT_EQ(dnsUpdates, 2);  // web, api
  // The DNS change comes after the new region's load balancer it points at.
  size_t lbAt = 0, dnsAt = 0;
  for (size_t i = 0; i < p.changes.size(); ++i) {
    if (p.changes[i].address == "aws_lb.main[eu-west-1]") lbAt = i;
    if (p.changes[i].type == "aws_route53_record") dnsAt = i;
  }
  EXPECT_LT(lbAt, dnsAt);
  golden("aws-add-region", p);
}

TEST(PlanGolden, RemovingARegionDeletesItsResources) {
  auto one = loadFixture("aws-one.yaml");
  auto two = loadFixture("aws-two.yaml");
  auto state = appliedState("shop", "prod", desiredOf(two, "prod"));
  Plan p = Planner::plan("shop", "prod", {"us-east-1"}, desiredOf(one, "prod"), state, std::nullopt);
  int deletes = 0;
  for (const auto& c : p.changes) {
    if (c.action == Action::kDelete) {
      EXPECT_EQ(c.region, "eu-west-1");
      EXPECT_EQ(c.reason, "region removed");
      ++deletes;
    } else {
      EXPECT_EQ(c.type, "aws_route53_record");
      EXPECT_EQ(c.action, Action::kUpdate);
    }
  }
  EXPECT_EQ(deletes, static_cast<int>(state["eu-west-1"].resources.size()));
  EXPECT_EQ(p.regions, (std::vector<std::string>{"us-east-1", "eu-west-1"}));
  // Rules go before listeners, listeners before the load balancer; DNS first.
  EXPECT_EQ(p.changes.front().type, "aws_route53_record");
  EXPECT_EQ(p.changes.back().type != "aws_lb_listener_rule", true);
  size_t ruleAt = 0, lbAt = 0;
  for (size_t i = 0; i < p.changes.size(); ++i) {
    if (p.changes[i].type == "aws_lb_listener_rule") ruleAt = i;
    if (p.changes[i].type == "aws_lb") lbAt = i;
  }
  EXPECT_LT(ruleAt, lbAt);
  golden("aws-remove-region", p);
}

TEST(PlanGolden, ChangedAttributesUpdateInPlace) {
  auto state = appliedState("shop", "prod", desiredOf(loadFixture("aws-one.yaml"), "prod"));
  Plan p = Planner::plan("shop", "prod", {"us-east-1"}, desiredOf(loadFixture("aws-one-changed.yaml"), "prod"), state,
                         std::nullopt);
  // Alarms are per service (one per definition and service: api/errors,
  // web/errors): the changed threshold updates both in place.
  ASSERT_EQ(p.changes.size(), 3u);
  EXPECT_EQ(p.changes[0].address, "aws_lb.main[us-east-1]");
  EXPECT_EQ(p.changes[0].action, Action::kUpdate);
  EXPECT_EQ(p.changes[0].attributes.at(0).name, "security_groups");
  std::set<std::string> alarms;
  for (size_t i = 1; i < p.changes.size(); ++i) {
    alarms.insert(p.changes[i].address);
    EXPECT_EQ(p.changes[i].action, Action::kUpdate) << p.changes[i].address;
    ASSERT_EQ(p.changes[i].attributes.size(), 1u) << p.changes[i].address;
    EXPECT_EQ(p.changes[i].attributes[0].name, "threshold");
    EXPECT_EQ(p.changes[i].attributes[0].before, 5.0);
    EXPECT_EQ(p.changes[i].attributes[0].after, 2.0);
  }
  EXPECT_EQ(alarms, (std::set<std::string>{"aws_cloudwatch_alarm.api/errors[us-east-1]",
                                           "aws_cloudwatch_alarm.web/errors[us-east-1]"}));
  EXPECT_EQ(planSummary(p), "Plan: 0 to add, 3 to change, 0 to replace, 0 to destroy.");
  golden("aws-update", p);
}

TEST(PlanGolden, ForceNewAttributeReplacesWithDependants) {
  auto state = appliedState("shop", "prod", desiredOf(loadFixture("aws-one-http.yaml"), "prod"));
  Plan p = Planner::plan("shop", "prod", {"us-east-1"}, desiredOf(loadFixture("aws-one-port.yaml"), "prod"), state,
                         std::nullopt);
  ASSERT_EQ(p.changes.size(), 3u);
  EXPECT_EQ(p.changes[0].address, "aws_lb_listener.http[us-east-1]");
  EXPECT_EQ(p.changes[0].action, Action::kReplace);
  ASSERT_EQ(p.changes[0].attributes.size(), 1u);
  EXPECT_TRUE(p.changes[0].attributes[0].forcesReplace);
  for (size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(p.changes[i].type, "aws_lb_listener_rule");
    EXPECT_EQ(p.changes[i].action, Action::kReplace);
    EXPECT_EQ(p.changes[i].reason, "depends on aws_lb_listener.http[us-east-1], which is replaced");
  }
  std::string text = planText(p, false);
  EXPECT_NE(text.find("-/+ aws_lb_listener.http[us-east-1]  # forces replacement"), std::string::npos) << text;
  EXPECT_NE(text.find("port : 80 -> 8080  # forces replacement"), std::string::npos) << text;
  golden("aws-replace", p);
}

TEST(PlanGolden, StateOnlyResourceIsDeleted) {
  auto desired = desiredOf(loadFixture("aws-one.yaml"), "prod");
  auto state = appliedState("shop", "prod", desired);
  ResourceState old;
  old.address = "aws_sns_topic.old[us-east-1]";
  old.type = "aws_sns_topic";
  old.name = "ramp-shop-prod-old";
  old.region = "us-east-1";
  old.id = "arn:aws:sns:us-east-1:123456789012:ramp-shop-prod-old";
  old.attributes = {{"name", "ramp-shop-prod-old"}};
  state["us-east-1"].resources[old.address] = old;
  Plan p = Planner::plan("shop", "prod", {"us-east-1"}, desired, state, std::nullopt);
  ASSERT_EQ(p.changes.size(), 1u);
  EXPECT_EQ(p.changes[0].action, Action::kDelete);
  EXPECT_EQ(p.changes[0].address, old.address);
  EXPECT_EQ(p.changes[0].reason, "not in the configuration");
  golden("aws-state-only", p);
}

TEST(PlanGolden, DeletedOutsideRampIsCreatedAgain) {
  auto desired = desiredOf(loadFixture("aws-one.yaml"), "prod");
  auto state = appliedState("shop", "prod", desired);
  std::map<std::string, ResourceState> refreshed;
  for (const auto& [region, st] : state) {
    for (const auto& [addr, rs] : st.resources) refreshed[addr] = rs;
  }
  refreshed.erase("aws_sns_topic.alerts[us-east-1]");
  // changed behind ramp's back (at(): an address the state does not have is
  // a broken test, not a resource to invent)
  refreshed.at("aws_cloudwatch_alarm.web/slow[us-east-1]").attributes["threshold"] = 9.0;
  Plan p = Planner::plan("shop", "prod", {"us-east-1"}, desired, state, refreshed);
  EXPECT_TRUE(p.refreshed);
  ASSERT_EQ(p.changes.size(), 2u);
  EXPECT_EQ(p.changes[0].address, "aws_sns_topic.alerts[us-east-1]");
  EXPECT_EQ(p.changes[0].action, Action::kCreate);
  EXPECT_EQ(p.changes[0].reason, "deleted outside ramp");
  EXPECT_EQ(p.changes[1].address, "aws_cloudwatch_alarm.web/slow[us-east-1]");
  EXPECT_EQ(p.changes[1].action, Action::kUpdate);
  EXPECT_EQ(p.changes[1].reason, "changed outside ramp");
  golden("aws-refreshed", p);
}

}  // namespace
}  // namespace ramp::infra
