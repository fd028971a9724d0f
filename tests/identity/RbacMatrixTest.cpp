// RbacMatrixTest — every role × environment × API operation, through the
// real HTTP API of a real `ramp serve`: a call is allowed exactly when the
// role table says so (docs/access.md), a denied call is a 403 naming the
// missing role and environment, and a denied call changes nothing (audit
// log, users, tokens, deployments). The expectation below is written out
// independently of server/Principal.h, so a bug there fails this test.
//
// Allowed writes whose real effect would be a deployment (deploy, hotfix,
// control, rollback, down) are sent with a body the handler refuses (400):
// that proves the call got past authorization without moving anything.
// Users, tokens and the audit seal are exercised for real.
//
// Not covered yet: approve / reject (their routes do not exist yet).
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "IdentityWorld.h"

namespace {

using idt::json;
using idt::World;

struct Grant {
  std::string role;
  std::string scope;  // env or "*"
};

struct Caller {
  std::string name;
  std::vector<Grant> grants;
  std::string token;
};

struct Need {
  std::string role;
  std::string env;  // env, "*" (every env), "" (some env)
};

// The role table of docs/access.md, written out on its own.
bool grantCovers(const Grant& g, const Need& n) {
  bool roleOk = g.role == "admin" || g.role == n.role || n.role == "viewer";
  bool scopeOk = n.env == "*" ? g.scope == "*" : n.env.empty() ? true : (g.scope == "*" || g.scope == n.env);
  return roleOk && scopeOk;
}

bool expectedAllowed(const Caller& c, const std::vector<Need>& needs) {
  for (const auto& n : needs) {
    bool any = false;
    for (const auto& g : c.grants) any = any || grantCovers(g, n);
    if (!any) return false;
  }
  return true;
}

struct Op {
  std::string name;
  std::string method;
  std::string path;
  std::optional<json> body;
  std::vector<Need> needs;
};

std::vector<Op> operations(const std::string& victimToken, const std::string& caller) {
  std::vector<Op> ops;
  for (std::string t : {"int", "prod"}) {
    ops.push_back({"read status in " + t, "GET", "/api/v1/status?env=" + t, {}, {{"viewer", t}}});
    ops.push_back({"list deployments in " + t, "GET", "/api/v1/deployments?env=" + t, {}, {{"viewer", t}}});
    ops.push_back({"read events in " + t, "GET", "/api/v1/events?env=" + t, {}, {{"viewer", t}}});
    ops.push_back({"read audit in " + t, "GET", "/api/v1/audit?env=" + t, {}, {{"viewer", t}}});
    ops.push_back({"deploy to " + t, "POST", "/api/v1/deployments", json{{"service", "crawler"}, {"env", t}},
                   {{"deployer", t}}});
    ops.push_back({"hotfix to " + t, "POST", "/api/v1/deployments",
                   json{{"service", "crawler"}, {"env", t}, {"hotfix", true}}, {{"deployer", t}, {"hotfix", t}}});
    for (std::string action : {"pause", "resume", "abort"}) {
      ops.push_back({action + " in " + t, "POST", "/api/v1/control",
                     json{{"service", "crawler"}, {"env", t}, {"action", action}, {"not_a_field", 1}},
                     {{"deployer", t}}});
    }
    ops.push_back({"rollback in " + t, "POST", "/api/v1/rollback",
                   json{{"service", "crawler"}, {"env", t}, {"not_a_field", 1}}, {{"deployer", t}}});
    ops.push_back({"down " + t, "POST", "/api/v1/down", json{{"env", t}, {"not_a_field", 1}}, {{"admin", t}}});
  }
  ops.push_back({"list deployments everywhere", "GET", "/api/v1/deployments", {}, {{"viewer", "*"}}});
  ops.push_back({"read status everywhere", "GET", "/api/v1/status", {}, {{"viewer", "*"}}});
  ops.push_back({"read audit everywhere", "GET", "/api/v1/audit", {}, {{"viewer", "*"}}});
  ops.push_back({"verify audit", "GET", "/api/v1/audit/verify", {}, {{"viewer", "*"}}});
  ops.push_back({"list releases", "GET", "/api/v1/releases", {}, {{"viewer", ""}}});
  ops.push_back({"read unknown deployment", "GET", "/api/v1/deployments/dep-none", {}, {{"viewer", ""}}});
  ops.push_back({"seal audit", "POST", "/api/v1/audit/seal", json::object(), {{"admin", "*"}}});
  ops.push_back({"down everything", "POST", "/api/v1/down", json{{"not_a_field", 1}}, {{"admin", "*"}}});
  ops.push_back({"list users", "GET", "/api/v1/users", {}, {{"admin", "*"}}});
  ops.push_back({"add user", "POST", "/api/v1/users",
                 json{{"name", "made-by-" + caller}, {"roles", {{"int", {"viewer"}}}}}, {{"admin", "*"}}});
  ops.push_back({"grant role", "POST", "/api/v1/users/grantee/grant", json{{"role", "viewer"}, {"env", "int"}},
                 {{"admin", "*"}}});
  ops.push_back({"list tokens", "GET", "/api/v1/tokens", {}, {{"admin", "*"}}});
  ops.push_back({"create token", "POST", "/api/v1/tokens", json{{"user", "grantee"}, {"name", "by-" + caller}},
                 {{"admin", "*"}}});
  ops.push_back({"revoke token", "POST", "/api/v1/tokens/" + victimToken + "/revoke", json::object(),
                 {{"admin", "*"}}});
  return ops;
}

TEST(RbacMatrix, EveryRoleInEveryEnvironmentCanDoExactlyWhatItShould) {
  World w("rbac");
  ASSERT_TRUE(w.start()) << ctl::slurp(w.home() / "serve.log");
  const std::string admin = w.adminToken();

  // Callers: each role on int, on prod and on every environment, an
  // on-call engineer (deployer + hotfix on prod) and a user with no roles.
  std::vector<Caller> callers;
  for (std::string role : {"viewer", "deployer", "approver", "hotfix", "admin"}) {
    for (std::string scope : {"int", "prod", "*"}) {
      callers.push_back({role + "-" + (scope == "*" ? "all" : scope), {{role, scope}}, ""});
    }
  }
  callers.push_back({"oncall", {{"deployer", "prod"}, {"hotfix", "prod"}}, ""});
  callers.push_back({"nobody", {}, ""});
  for (auto& c : callers) {
    std::vector<std::string> args{"user", "add", c.name};
    for (auto& g : c.grants) {
      args.push_back("--role");
      args.push_back(g.scope == "*" ? g.role : g.role + "@" + g.scope);
    }
    std::string out;
    ASSERT_EQ(w.cli(args, &out), 0) << out;
    out.clear();
    ASSERT_EQ(w.cli({"token", "create", "--user", c.name, "--json"}, &out), 0) << out;
    auto j = json::parse(out, nullptr, false);
    ASSERT_TRUE(j.is_object()) << out;
    c.token = j.value("token", "");
    ASSERT_TRUE(c.token.starts_with("ramp_")) << out;
  }

  // The user the callers try to grant roles to and make tokens for (not a caller).
  {
    std::string out;
    ASSERT_EQ(w.cli({"user", "add", "grantee"}, &out), 0) << out;
  }

  int checked = 0, allowedCount = 0, deniedCount = 0;
  for (const auto& c : callers) {
    // A token for this caller to try to revoke (made by the admin).
    auto victim = w.post("/api/v1/tokens", admin, {{"user", "grantee"}, {"name", "victim-of-" + c.name}});
    ASSERT_EQ(victim.status, 201) << victim.body;
    std::string victimId = victim.parsed().value("id", "");
    std::string victimToken = victim.parsed().value("token", "");

    for (const auto& op : operations(victimId, c.name)) {
      bool expect = expectedAllowed(c, op.needs);
      size_t auditBefore = expect ? 0 : w.auditCount();
      auto r = w.call(op.method, op.path, c.token, op.body ? std::optional<std::string>(op.body->dump()) : std::nullopt);
      ASSERT_TRUE(r.ok) << op.name;
      std::string what = fmt::format("{} by {} ({} {}) -> {} {}", op.name, c.name, op.method, op.path, r.status, r.body);
      ++checked;
      if (expect) {
        ++allowedCount;
        EXPECT_NE(r.status, 403) << "should be allowed: " << what;
        EXPECT_NE(r.status, 401) << "should be allowed: " << what;
        EXPECT_LT(r.status, 500) << what;
      } else {
        ++deniedCount;
        ASSERT_EQ(r.status, 403) << "should be denied: " << what;
        auto err = r.parsed()["error"];
        // The answer names a role and environment the caller lacks.
        Need named{err.value("role", "?"), err.value("env", "?")};
        bool isANeed = false;
        for (const auto& n : op.needs) isANeed = isANeed || (n.role == named.role && n.env == named.env);
        EXPECT_TRUE(isANeed) << what;
        EXPECT_FALSE(expectedAllowed(c, {named})) << what;
        EXPECT_NE(err.value("message", "").find("needs role " + named.role), std::string::npos) << what;
        EXPECT_EQ(w.auditCount(), auditBefore) << "a denied call changed the audit log: " << what;
      }
    }

    // Effects of the real writes: present exactly when allowed.
    bool isAdmin = expectedAllowed(c, {{"admin", "*"}});
    auto users = w.get("/api/v1/users", admin).parsed();
    bool made = false;
    for (auto& u : users) made = made || u.value("name", "") == "made-by-" + c.name;
    EXPECT_EQ(made, isAdmin) << c.name;
    auto tokens = w.get("/api/v1/tokens?user=grantee", admin).parsed();
    bool created = false;
    for (auto& t : tokens) created = created || t.value("name", "") == "by-" + c.name;
    EXPECT_EQ(created, isAdmin) << c.name;
    auto victimUse = w.get("/api/v1/status?env=int", victimToken);
    if (isAdmin) EXPECT_EQ(victimUse.status, 401) << c.name << ": " << victimUse.body;
    else EXPECT_NE(victimUse.status, 401) << c.name << ": " << victimUse.body;
  }
  EXPECT_GT(allowedCount, 100);
  EXPECT_GT(deniedCount, 300);
  std::cout << fmt::format("RBAC matrix: {} calls checked ({} allowed, {} denied) for {} callers\n", checked,
                           allowedCount, deniedCount, callers.size());

  // Nothing was deployed by anyone.
  auto deps = w.get("/api/v1/deployments", admin).parsed();
  ASSERT_TRUE(deps.is_array());
  EXPECT_TRUE(deps.empty()) << deps.dump();
  // "grantee" got viewer@int from the admins' "grant role" calls; "nobody"
  // (a caller) still has no role at all.
  auto all = w.get("/api/v1/users", admin).parsed();
  int seen = 0;
  for (auto& u : all) {
    if (u.value("name", "") == "grantee") {
      EXPECT_EQ(u["roles"], json({{"int", {"viewer"}}})) << u.dump();
      ++seen;
    }
    if (u.value("name", "") == "nobody") {
      EXPECT_EQ(u["roles"], json::object()) << u.dump();
      ++seen;
    }
  }
  EXPECT_EQ(seen, 2);
  EXPECT_TRUE(w.stop());
}

}  // namespace
