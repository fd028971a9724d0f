// Planner details not covered by the goldens, PlanJson round trip and
// errors, PlanText colour.
#include <gtest/gtest.h>

#include "CoreFixtures.h"
#include "infra/PlanJson.h"
#include "infra/PlanText.h"
#include "infra/Planner.h"

namespace ramp::infra {
namespace {

using testing::appliedState;
using testing::desiredOf;
using testing::loadFixture;

Plan addRegionPlan() {
  auto state = appliedState("shop", "prod", desiredOf(loadFixture("aws-one.yaml"), "prod"));
  return Planner::plan("shop", "prod", {"us-east-1", "eu-west-1"}, desiredOf(loadFixture("aws-two.yaml"), "prod"),
                       state, std::nullopt);
}

TEST(Planner, DigestIsDeterministicAndCoversTheBasis) {
  Plan a = addRegionPlan();
  Plan b = addRegionPlan();
  EXPECT_EQ(a.digest.size(), 64u);
  EXPECT_EQ(a.digest, b.digest);
  EXPECT_EQ(a.basis.at("us-east-1").serial, 3);
  EXPECT_EQ(a.basis.at("us-east-1").lineage, "lineage-us-east-1");
  b.basis["us-east-1"].serial = 4;
  EXPECT_NE(planDigest(b), a.digest);
}

TEST(Planner, ManagedByDeploymentsListsEveryServiceAndRegion) {
  Plan p = addRegionPlan();
  ASSERT_EQ(p.managedByDeployments.size(), 4u);
  EXPECT_NE(p.managedByDeployments[0].find("of api's rule"), std::string::npos) << p.managedByDeployments[0];
  EXPECT_NE(p.managedByDeployments[0].find("in prod/eu-west-1"), std::string::npos) << p.managedByDeployments[0];
}

TEST(PlanJson, RoundTrips) {
  Plan p = addRegionPlan();
  nlohmann::json j = planJson(p);
  EXPECT_EQ(j["no_op"], false);
  EXPECT_EQ(j["summary"]["add"], 10);  // alarms per service: 2 services x 2 definitions
  EXPECT_EQ(j["summary"]["change"], 2);
  auto back = planFromJson(nlohmann::json::parse(j.dump()));
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(planJson(*back), j);
  EXPECT_EQ(back->digest, p.digest);
  ASSERT_EQ(back->changes.size(), p.changes.size());
  EXPECT_EQ(back->changes[0].desired->dependsOn, p.changes[0].desired->dependsOn);
  EXPECT_EQ(planText(*back, false), planText(p, false));
  // The fast writer produces exactly what the JSON tree dumps.
  EXPECT_EQ(planJsonText(p), j.dump());
  EXPECT_EQ(planCanonicalText(p) + "", [&] {
    auto k = j;
    k.erase("digest");
    return k.dump();
  }());
}

TEST(PlanJson, FastWriterEscapesLikeTheJsonLibrary) {
  Plan p = addRegionPlan();
  p.changes[0].reason = "quote \" backslash \\ newline \n tab \t bell \x07 unicode \u00e9\u2603";
  p.changes[0].desired->attributes["odd"] = "\x01\x1f";
  p.basis[""] = StateBasis{"l\"x", 7};
  p.digest = planDigest(p);
  EXPECT_EQ(planJsonText(p), planJson(p).dump());
  auto back = planFromJson(nlohmann::json::parse(planJsonText(p)));
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(back->changes[0].reason, p.changes[0].reason);
}

TEST(PlanJson, NoOpPlanCarriesTheFlag) {
  auto desired = desiredOf(loadFixture("aws-one.yaml"), "prod");
  Plan p = Planner::plan("shop", "prod", {"us-east-1"}, desired, appliedState("shop", "prod", desired), std::nullopt);
  EXPECT_EQ(planJson(p)["no_op"], true);
  auto back = planFromJson(planJson(p));
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->noOp());
}

TEST(PlanJson, BadInputNamesTheField) {
  nlohmann::json j = planJson(addRegionPlan());
  {
    auto bad = j;
    bad["changes"][2]["action"] = "destroy";
    auto r = planFromJson(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().where, "changes[2].action");
    EXPECT_EQ(r.error().code, ErrorCode::kInvalid);
  }
  {
    auto bad = j;
    bad["changes"][0]["desired"]["depends_on"] = 3;
    auto r = planFromJson(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().where, "changes[0].desired.depends_on");
  }
  {
    auto bad = j;
    bad["changes"][0]["desired"]["attributes"]["name"] = "evil";
    auto r = planFromJson(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().where, "digest");
  }
  {
    auto bad = j;
    bad["format_version"] = 9;
    auto r = planFromJson(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().where, "format_version");
  }
  {
    auto bad = j;
    bad.erase("basis");
    auto r = planFromJson(bad);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().where, "basis");
  }
  EXPECT_FALSE(planFromJson(nlohmann::json::array()));
}

TEST(PlanText, ColourOnlyWhenAsked) {
  Plan p = addRegionPlan();
  std::string plain = planText(p, false);
  std::string coloured = planText(p, true);
  EXPECT_EQ(plain.find('\033'), std::string::npos);
  EXPECT_NE(coloured.find("\033[32m"), std::string::npos);
  EXPECT_NE(plain.find("  + aws_lb.main[eu-west-1]"), std::string::npos) << plain;
  EXPECT_NE(plain.find("  ~ aws_route53_record.web"), std::string::npos) << plain;
  EXPECT_NE(plain.find("Plan: 10 to add, 2 to change, 0 to replace, 0 to destroy."), std::string::npos) << plain;
  EXPECT_NE(plain.find("Managed by deployments"), std::string::npos);
}

}  // namespace
}  // namespace ramp::infra
