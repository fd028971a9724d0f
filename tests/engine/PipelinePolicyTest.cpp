// The pure pipeline rules, table-driven: deployment windows and freezes in
// IANA time zones (DeploymentWindow), approvals with four-eyes and roles
// (ApprovalPolicyCheck), which release may enter a stage (PromotionCheck)
// and hotfix debt (HotfixDebt). Fixed instants, no clock.
#include <gtest/gtest.h>

#include "core/Clock.h"
#include "engine/ApprovalPolicyCheck.h"
#include "engine/DeploymentWindow.h"
#include "engine/HotfixDebt.h"
#include "engine/PromotionCheck.h"

using namespace ramp;
using namespace ramp::engine;
using nlohmann::json;

namespace {

// "2026-11-27T15:30:00Z" -> WallTime.
WallTime at(const std::string& iso) {
  std::tm tm{};
  strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

config::TimeWindow win(std::vector<std::string> days, std::string hours, std::string tz) {
  return config::TimeWindow{std::move(days), std::move(hours), std::move(tz)};
}

}  // namespace

struct WindowCase {
  const char* name;
  config::ApprovalPolicy policy;
  const char* instant;
  bool open;
  const char* opensAt;  // "" = do not check
  const char* reasonHas;
};

TEST(DeploymentWindowTest, WindowsAndFreezesInTheirTimeZones) {
  config::ApprovalPolicy fridayFreeze;
  fridayFreeze.freeze = {win({"fri"}, "16:00-24:00", "Europe/Berlin"), win({"sat", "sun"}, "", "Europe/Berlin")};
  config::ApprovalPolicy office;
  office.window = win({"mon", "tue", "wed", "thu", "fri"}, "09:00-17:00", "America/New_York");
  config::ApprovalPolicy none;
  std::vector<WindowCase> cases = {
      // Friday 16:30 in Berlin (CET, UTC+1) is 15:30 UTC: frozen until Monday 00:00 Berlin.
      {"friday 16:30 berlin frozen", fridayFreeze, "2026-11-27T15:30:00Z", false, "2026-11-29T23:00:00Z",
       "freeze[0] (fri 16:00-24:00 Europe/Berlin)"},
      {"friday 15:59 berlin open", fridayFreeze, "2026-11-27T14:59:00Z", true, "", ""},
      {"friday 16:00 berlin frozen (start inclusive)", fridayFreeze, "2026-11-27T15:00:00Z", false, "", "freeze[0]"},
      // In summer Berlin is UTC+2: 16:30 local is 14:30 UTC.
      {"summer friday 16:30 berlin frozen", fridayFreeze, "2026-07-03T14:30:00Z", false, "2026-07-05T22:00:00Z",
       "freeze[0]"},
      // The same UTC instant in winter is 15:30 in Berlin: open (DST matters).
      {"winter friday 14:30 UTC is 15:30 berlin", fridayFreeze, "2026-11-27T14:30:00Z", true, "", ""},
      {"saturday frozen by the second freeze", fridayFreeze, "2026-11-28T12:00:00Z", false, "", "freeze[1]"},
      {"thursday open", fridayFreeze, "2026-11-26T20:00:00Z", true, "", ""},
      // Office hours in New York (EST, UTC-5): 08:59 local is closed, opens at 09:00.
      {"before office hours", office, "2026-11-26T13:59:00Z", false, "2026-11-26T14:00:00Z",
       "outside the deployment window (mon,tue,wed,thu,fri 09:00-17:00 America/New_York)"},
      {"in office hours", office, "2026-11-26T14:00:00Z", true, "", ""},
      {"17:00 is closed (end exclusive)", office, "2026-11-26T22:00:00Z", false, "2026-11-27T14:00:00Z", "outside"},
      {"friday evening opens monday", office, "2026-11-27T23:00:00Z", false, "2026-11-30T14:00:00Z", "outside"},
      {"no restrictions", none, "2026-11-27T15:30:00Z", true, "", ""},
  };
  for (const auto& c : cases) {
    auto w = DeploymentWindow::fromPolicy(c.policy);
    ASSERT_TRUE(w.has_value()) << c.name << ": " << w.error().describe();
    auto d = w->check(at(c.instant));
    EXPECT_EQ(d.open, c.open) << c.name << ": " << d.reason;
    if (!c.open) {
      EXPECT_NE(d.reason.find(c.reasonHas), std::string::npos) << c.name << ": " << d.reason;
      if (std::string(c.opensAt).size()) {
        ASSERT_TRUE(d.opensAt.has_value()) << c.name;
        EXPECT_EQ(formatTime(*d.opensAt), formatTime(at(c.opensAt))) << c.name;
      }
    } else {
      EXPECT_TRUE(d.reason.empty()) << c.name;
    }
  }
}

TEST(DeploymentWindowTest, BadWindowsAreRefusedNamingTheField) {
  config::ApprovalPolicy p;
  p.freeze = {win({"fri"}, "16:00-24:00", "UTC"), win({}, "", "Mars/Olympus")};
  auto w = DeploymentWindow::fromPolicy(p);
  ASSERT_FALSE(w.has_value());
  EXPECT_EQ(w.error().where, "approval.freeze[1].timezone");
  EXPECT_NE(w.error().message.find("Mars/Olympus"), std::string::npos);
  config::ApprovalPolicy q;
  q.window = win({"fri"}, "18:00-09:00", "UTC");
  auto w2 = DeploymentWindow::fromPolicy(q);
  ASSERT_FALSE(w2.has_value());
  EXPECT_EQ(w2.error().where, "approval.window.hours");
  config::ApprovalPolicy r;
  r.window = win({"friday"}, "", "UTC");
  auto w3 = DeploymentWindow::fromPolicy(r);
  ASSERT_FALSE(w3.has_value());
  EXPECT_EQ(w3.error().where, "approval.window.days");
}

TEST(DeploymentWindowTest, AWindowThatNeverOpensSaysSo) {
  config::ApprovalPolicy p;
  p.freeze = {win({}, "", "UTC")};  // frozen always
  auto w = DeploymentWindow::fromPolicy(p);
  ASSERT_TRUE(w.has_value());
  auto d = w->check(at("2026-11-27T15:30:00Z"));
  EXPECT_FALSE(d.open);
  EXPECT_FALSE(d.opensAt.has_value());
}

struct ApprovalCase {
  const char* name;
  std::vector<std::string> policyRoles;
  std::vector<std::string> already;  // approved so far
  std::string actor;
  std::set<std::string> roles;
  bool accepted;
  bool satisfied;
  const char* reasonHas;
};

TEST(ApprovalPolicyCheckTest, FourEyesRolesAndEachPersonOnce) {
  const int64_t now = 1'000'000;
  std::vector<ApprovalCase> cases = {
      {"another approver", {}, {}, "bob", {"approver"}, true, false, ""},
      {"requester never approves", {}, {}, "alice", {"approver", "admin"}, false, false, "four-eyes"},
      {"same person twice counts once", {}, {"bob"}, "bob", {"approver"}, false, false, "already approved"},
      {"second person completes", {}, {"bob"}, "carol", {"approver"}, true, true, ""},
      {"a deployer may not approve", {}, {}, "dave", {"deployer"}, false, false, "needs approver"},
      {"admin may approve", {}, {}, "root", {"admin"}, true, false, ""},
      {"policy role release-manager", {"release-manager"}, {}, "erin", {"release-manager"}, true, false, ""},
      {"approver without the policy role", {"release-manager"}, {}, "bob", {"approver"}, false, false,
       "needs release-manager"},
      {"nobody", {}, {}, "", {"approver"}, false, false, "named person"},
  };
  for (const auto& c : cases) {
    config::ApprovalPolicy p;
    p.approvals = 2;
    p.roles = c.policyRoles;
    p.expires = std::chrono::hours(1);
    auto req = ApprovalPolicyCheck::request(p, "alice", now);
    ASSERT_TRUE(req.has_value());
    EXPECT_EQ(req->expiresAt, now + 3'600'000);
    for (const auto& who : c.already) req->approvals.push_back({who, now, ""});
    auto v = ApprovalPolicyCheck::judgeApproval(*req, c.actor, c.roles, now + 1000);
    EXPECT_EQ(v.accepted, c.accepted) << c.name << ": " << v.reason;
    EXPECT_EQ(v.satisfied, c.satisfied) << c.name;
    if (!c.accepted) EXPECT_NE(v.reason.find(c.reasonHas), std::string::npos) << c.name << ": " << v.reason;
  }
}

TEST(ApprovalPolicyCheckTest, ExpiryRejectionAndNoPolicy) {
  config::ApprovalPolicy p;
  p.approvals = 1;
  p.expires = std::chrono::minutes(10);
  auto req = ApprovalPolicyCheck::request(p, "alice", 0);
  ASSERT_TRUE(req.has_value());
  EXPECT_FALSE(ApprovalPolicyCheck::expired(*req, 599'999));
  EXPECT_TRUE(ApprovalPolicyCheck::expired(*req, 600'000));
  auto late = ApprovalPolicyCheck::judgeApproval(*req, "bob", {"approver"}, 600'000);
  EXPECT_FALSE(late.accepted);
  EXPECT_NE(late.reason.find("expired"), std::string::npos);
  auto noComment = ApprovalPolicyCheck::judgeRejection(*req, "bob", {"approver"}, "  ", 1);
  EXPECT_FALSE(noComment.accepted);
  EXPECT_NE(noComment.reason.find("comment"), std::string::npos);
  EXPECT_TRUE(ApprovalPolicyCheck::judgeRejection(*req, "alice", {}, "withdrawn", 1).accepted);  // own request
  EXPECT_FALSE(ApprovalPolicyCheck::judgeRejection(*req, "mallory", {"viewer"}, "no", 1).accepted);
  config::ApprovalPolicy none;
  EXPECT_FALSE(ApprovalPolicyCheck::request(none, "alice", 0).has_value());
}

TEST(ApprovalPolicyCheckTest, PolicyIsReadFromTheRenderedConfigNamingBadFields) {
  json r = {{"environment",
             {{"approval",
               {{"approvals", 2},
                {"roles", {"approver"}},
                {"window", nullptr},
                {"freeze", {{{"days", {"fri"}}, {"hours", "16:00-24:00"}, {"timezone", "Europe/Berlin"}}}},
                {"expires", "24h"}}}}}};
  auto p = ApprovalPolicyCheck::policyOf(r);
  ASSERT_TRUE(p.has_value()) << p.error().describe();
  EXPECT_EQ(p->approvals, 2);
  EXPECT_EQ(p->roles, std::vector<std::string>{"approver"});
  ASSERT_EQ(p->freeze.size(), 1u);
  EXPECT_EQ(p->freeze[0].timezone, "Europe/Berlin");
  EXPECT_EQ(p->expires, std::chrono::hours(24));
  r["environment"]["approval"]["expires"] = "soon";
  auto bad = ApprovalPolicyCheck::policyOf(r);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().where, "rendered.environment.approval.expires");
  EXPECT_EQ(ApprovalPolicyCheck::policyOf(json::object())->approvals, 0);
}

namespace {

Deployment dep(const std::string& id, const std::string& env, const std::string& version, const std::string& state,
               int64_t finishedAt, const std::string& soak = "0s") {
  Deployment d;
  d.id = id;
  d.service = "crawler";
  d.env = env;
  d.version = version;
  d.digest = "sha256:" + version;
  d.state = state;
  d.createdAt = finishedAt - 10;
  d.finishedAt = finishedAt;
  d.rendered = {{"environment", {{"soak", soak}}}};
  d.pipeline = {"int", "uat", "prod"};
  return d;
}

}  // namespace

TEST(PromotionCheckTest, WhatMayEnterAStage) {
  const std::vector<std::string> pipeline{"int", "uat", "prod"};
  std::vector<Deployment> ds = {dep("a", "int", "1.0", "succeeded", 1000), dep("b", "int", "2.0", "failed", 2000),
                                dep("c", "uat", "1.0", "succeeded", 5000, "30m")};
  // uat takes the newest success of int, not the newer failure.
  auto s = PromotionCheck::source(pipeline, "crawler", "uat", ds, 10'000);
  ASSERT_TRUE(s.has_value()) << s.error().describe();
  EXPECT_EQ(s->version, "1.0");
  EXPECT_EQ(s->digest, "sha256:1.0");
  EXPECT_EQ(s->fromEnv, "int");
  EXPECT_EQ(s->deploymentId, "a");
  // prod: uat's soak of 30m has not passed: says how long remains.
  auto soaking = PromotionCheck::source(pipeline, "crawler", "prod", ds, 5000 + 10 * 60'000);
  ASSERT_FALSE(soaking.has_value());
  EXPECT_EQ(soaking.error().where, "soak");
  EXPECT_NE(soaking.error().message.find("20m remain"), std::string::npos) << soaking.error().message;
  EXPECT_TRUE(PromotionCheck::source(pipeline, "crawler", "prod", ds, 5000 + 30 * 60'000).has_value());
  // Nothing succeeded in the stage before; first stage; unknown stage.
  auto nothing = PromotionCheck::source(pipeline, "crawler", "uat", {ds[1]}, 10'000);
  ASSERT_FALSE(nothing.has_value());
  EXPECT_NE(nothing.error().message.find("no release of crawler has succeeded in int"), std::string::npos);
  auto first = PromotionCheck::source(pipeline, "crawler", "int", ds, 10'000);
  ASSERT_FALSE(first.has_value());
  EXPECT_EQ(first.error().where, "to");
  EXPECT_NE(first.error().message.find("first stage"), std::string::npos);
  auto unknown = PromotionCheck::source(pipeline, "crawler", "qa", ds, 10'000);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message.find("not a stage"), std::string::npos);
  // A plain deploy names its digest: 2.0 never succeeded in int.
  auto plain = PromotionCheck::source(pipeline, "crawler", "uat", ds, 10'000, std::string("sha256:2.0"));
  ASSERT_FALSE(plain.has_value());
  EXPECT_EQ(plain.error().where, "version");
  EXPECT_NE(plain.error().message.find("--hotfix"), std::string::npos);
}

TEST(HotfixDebtTest, ClearedStageByStageByBackPromotion) {
  auto hot = dep("h", "prod", "1.0.1", "succeeded", 9000);
  hot.hotfix = true;
  hot.hotfixReason = "CVE-2026-1";
  std::vector<Deployment> ds = {hot};
  auto debt = HotfixDebt::of(ds);
  ASSERT_EQ(debt.size(), 1u);
  EXPECT_EQ(debt[0].missing, (std::vector<std::string>{"int", "uat"}));
  EXPECT_EQ(debt[0].reason, "CVE-2026-1");
  ds.push_back(dep("i", "int", "1.0.1", "failed", 9500));  // a failure does not count
  EXPECT_EQ(HotfixDebt::of(ds)[0].missing.size(), 2u);
  ds.push_back(dep("j", "int", "1.0.1", "succeeded", 9600));
  EXPECT_EQ(HotfixDebt::of(ds)[0].missing, std::vector<std::string>{"uat"});
  ds.push_back(dep("k", "uat", "1.0.1", "succeeded", 9700));
  EXPECT_TRUE(HotfixDebt::of(ds).empty());
  // A hotfix that failed leaves no debt (it is not running there).
  auto failed = dep("f", "prod", "1.0.2", "rolled_back", 9800);
  failed.hotfix = true;
  EXPECT_TRUE(HotfixDebt::of({failed}).empty());
}
