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
// Approvals are exercised for real too: the world's int and prod need one
// approval (`approval: {approvals: 1}`) and are frozen all the time, so an
// approved deployment waits in its window gate and nothing ever starts.
// Before each caller's turn the world's admin submits fresh requests into
// int and prod (for that caller to approve, and to reject), and a caller
// who may deploy there submits its own (which it may never approve:
// four-eyes; which it may withdraw). The expected answers come from the
// rules of docs/pipeline.md written out here: approver or admin in the
// deployment's env may approve or reject, never the requester's own
// approval; the requester may reject (withdraw) their own request; a
// rejection needs a comment; viewer in an env lists its pending requests.
// Promotions (deployer in `to`) are sent with a body the handler refuses.
//
// The config of record (issue 15): every caller reads it and its history;
// a dry-run push that changes a service in int / prod needs deployer there,
// one that changes int's / prod's policy needs admin there (403 naming the
// role past the access layer); each turn the admin pushes two changes of
// int's and prod's policy, which wait for approvers (both protected), and
// the caller may approve the one and reject the other exactly when it is an
// approver (or admin) in int or prod; the pusher's own approval is refused.
//
// Infrastructure changes awaiting approval (POST /api/v1/infra/apply on an
// env with an approval policy; server/InfraRoutes.h) follow the same rules:
// each turn the admin requests two applies per env (to approve, to reject),
// each creating a listener for a service named after the turn, so every
// approval really applies; a caller who may deploy requests its own. The
// approval routes need viewer in the change's env; the policy decides.
#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "IdentityWorld.h"

namespace {

namespace fs = std::filesystem;
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

// Holds `role` (or admin) in `env` (through a grant on env or on "*").
bool holds(const Caller& c, const std::string& role, const std::string& env) {
  for (const auto& g : c.grants) {
    if ((g.role == role || g.role == "admin") && (g.scope == "*" || g.scope == env)) return true;
  }
  return false;
}

// Every role implies viewer in its environment.
bool views(const Caller& c, const std::string& env) {
  for (const auto& g : c.grants) {
    if (g.scope == "*" || g.scope == env) return true;
  }
  return false;
}
// docs/pipeline.md, written out on its own: approver (or admin) in the
// deployment's env decides; never on their own request, except to withdraw it.
bool mayApproveOthers(const Caller& c, const std::string& env) { return holds(c, "approver", env); }
bool mayReject(const Caller& c, const std::string& env, bool ownRequest) {
  return ownRequest || holds(c, "approver", env);
}

// Requests awaiting approval, made for one caller's turn.
struct Pending {
  std::map<std::string, std::string> toApprove;  // env -> id (requested by the world's admin)
  std::map<std::string, std::string> toReject;   // env -> id (requested by the world's admin)
  std::map<std::string, std::string> own;        // env -> id (requested by the caller itself)
  // Infrastructure changes (ids "infra-..."), the same three kinds.
  std::map<std::string, std::string> infraToApprove;
  std::map<std::string, std::string> infraToReject;
  std::map<std::string, std::string> infraOwn;
  // Pending pushes of the config of record ("cfg-N"), changing int's and prod's policy.
  std::string configToApprove;
  std::string configToReject;
};

struct Op {
  Op(std::string n, std::string m, std::string p, std::optional<json> b, std::vector<Need> nd)
      : name(std::move(n)), method(std::move(m)), path(std::move(p)), body(std::move(b)), needs(std::move(nd)) {}
  std::string name;
  std::string method;
  std::string path;
  std::optional<json> body;
  std::vector<Need> needs;  // what the route's access layer asks for
  // Set for routes whose answer goes beyond the access layer (approvals):
  std::optional<bool> allowed;              // expected outcome (else: needs decide)
  std::optional<int> allowedStatus;         // exact status when allowed
  std::string deniedStatusField;            // denied past the access layer as a 400 naming this field
  std::string policyDenial;                 // denied past the access layer: 403 whose message says this
  std::string target;                       // deployment that must not change when denied
  std::function<void(const json&, const std::string&)> check;  // on the allowed answer
};

bool hasId(const json& arr, const std::string& id) {
  if (!arr.is_array()) return false;
  for (const auto& d : arr) {
    if (d.value("id", "") == id) return true;
  }
  return false;
}

std::vector<Op> approvalOperations(const Caller& c, const Pending& p) {
  std::vector<Op> ops;
  for (std::string t : {"int", "prod"}) {
    const std::string other = p.toApprove.at(t);
    const std::string own = p.own.contains(t) ? p.own.at(t) : "";
    Op list{"list approvals in " + t, "GET", "/api/v1/approvals?env=" + t, {}, {{"viewer", t}}};
    list.allowedStatus = 200;
    list.check = [&c, t, other, own](const json& j, const std::string& what) {
      ASSERT_TRUE(j.is_array()) << what;
      for (const auto& d : j) {
        if (d.value("kind", "") == "config_change") EXPECT_TRUE(d["approvals"].contains(t)) << what;
        else EXPECT_EQ(d.value("env", ""), t) << what;
      }
      EXPECT_TRUE(hasId(j, other)) << "the pending request " << other << " is not listed: " << what;
      for (const auto& d : j) {
        if (d.value("id", "") == other) {
          EXPECT_EQ(d.value("may_approve", !mayApproveOthers(c, t)), mayApproveOthers(c, t)) << what;
        }
        if (!own.empty() && d.value("id", "") == own) {
          EXPECT_EQ(d.value("may_approve", true), false) << "four-eyes: " << what;
        }
      }
    };
    ops.push_back(list);

    Op promote{"promote into " + t, "POST", "/api/v1/promotions",
               json{{"service", "crawler"}, {"to", t}, {"not_a_field", 1}}, {{"deployer", t}}};
    promote.allowedStatus = 400;
    ops.push_back(promote);

    Op approve{"approve a request in " + t, "POST", "/api/v1/approvals/" + other + "/approve",
               json{{"comment", "ok by " + c.name}}, {{"viewer", t}}};
    approve.allowed = mayApproveOthers(c, t);
    approve.allowedStatus = 200;
    approve.policyDenial = "lacks the role to approve it";
    approve.target = other;
    approve.check = [&c](const json& j, const std::string& what) {
      EXPECT_NE(j.value("state", ""), "awaiting_approval") << what;
      EXPECT_NE(j.value("phase", ""), "approval") << what;
      ASSERT_TRUE(j["approval"]["approvals"].is_array()) << what;
      ASSERT_EQ(j["approval"]["approvals"].size(), 1u) << what;
      EXPECT_EQ(j["approval"]["approvals"][0].value("by", ""), c.name) << what;
    };
    ops.push_back(approve);

    const std::string rej = p.toReject.at(t);
    Op bare{"reject without a comment in " + t, "POST", "/api/v1/approvals/" + rej + "/reject", json::object(),
            {{"viewer", t}}};
    bare.allowed = false;
    bare.deniedStatusField = "comment";
    bare.target = rej;
    ops.push_back(bare);

    Op reject{"reject a request in " + t, "POST", "/api/v1/approvals/" + rej + "/reject",
              json{{"comment", "not now, says " + c.name}}, {{"viewer", t}}};
    reject.allowed = mayReject(c, t, false);
    reject.allowedStatus = 200;
    reject.policyDenial = "lacks the role to reject it";
    reject.target = rej;
    reject.check = [&c](const json& j, const std::string& what) {
      EXPECT_EQ(j.value("state", ""), "aborted") << what;
      EXPECT_EQ(j["approval"].value("rejected_by", ""), c.name) << what;
    };
    ops.push_back(reject);

    if (!own.empty()) {
      Op self{"approve own request in " + t, "POST", "/api/v1/approvals/" + own + "/approve",
              json{{"comment", "trust me"}}, {{"viewer", t}}};
      self.allowed = false;  // four-eyes, whatever the roles (admin too)
      self.policyDenial = "four-eyes";
      self.target = own;
      ops.push_back(self);
      Op withdraw{"withdraw own request in " + t, "POST", "/api/v1/approvals/" + own + "/reject",
                  json{{"comment", "withdrawn by " + c.name}}, {{"viewer", t}}};
      withdraw.allowed = mayReject(c, t, true);
      withdraw.allowedStatus = 200;
      withdraw.target = own;
      withdraw.check = [&c](const json& j, const std::string& what) {
        EXPECT_EQ(j.value("state", ""), "aborted") << what;
        EXPECT_EQ(j["approval"].value("rejected_by", ""), c.name) << what;
      };
      ops.push_back(withdraw);
    }
  }
  Op listAll{"list approvals everywhere", "GET", "/api/v1/approvals", {}, {{"viewer", ""}}};
  listAll.allowedStatus = 200;
  // Pending requests of every environment the caller may view, and only those.
  listAll.check = [&c, p](const json& j, const std::string& what) {
    ASSERT_TRUE(j.is_array()) << what;
    for (const auto& d : j) {
      if (d.value("kind", "") == "config_change") {
        EXPECT_TRUE(views(c, "int") || views(c, "prod")) << "lists " << d.value("id", "") << ": " << what;
        continue;
      }
      EXPECT_TRUE(views(c, d.value("env", "?"))) << "lists " << d.value("id", "") << " in " << d.value("env", "")
                                                 << ": " << what;
    }
    EXPECT_EQ(hasId(j, p.configToApprove), views(c, "int") || views(c, "prod")) << p.configToApprove << ": " << what;
    for (const auto& [t, id] : p.toApprove) EXPECT_EQ(hasId(j, id), views(c, t)) << id << " in " << t << ": " << what;
  };
  // Listed first, while every request is still pending.
  ops.insert(ops.begin(), listAll);
  Op unknown{"approve an unknown request", "POST", "/api/v1/approvals/dep-none/approve", json::object(),
             {{"viewer", ""}}};
  unknown.allowedStatus = 404;
  ops.push_back(unknown);

  // Infrastructure changes awaiting approval (server/InfraRoutes.h).
  for (std::string t : {"int", "prod"}) {
    const std::string other = p.infraToApprove.at(t);
    const std::string own = p.infraOwn.contains(t) ? p.infraOwn.at(t) : "";
    Op list{"list infra changes in " + t, "GET", "/api/v1/infra/changes?env=" + t, {}, {{"viewer", t}}};
    list.allowedStatus = 200;
    list.check = [&c, t, other, own](const json& j, const std::string& what) {
      ASSERT_TRUE(j.is_array()) << what;
      for (const auto& d : j) EXPECT_EQ(d.value("env", ""), t) << what;
      EXPECT_TRUE(hasId(j, other)) << "the pending change " << other << " is not listed: " << what;
      for (const auto& d : j) {
        if (d.value("id", "") == other) {
          EXPECT_EQ(d.value("may_approve", !mayApproveOthers(c, t)), mayApproveOthers(c, t)) << what;
        }
        if (!own.empty() && d.value("id", "") == own) EXPECT_EQ(d.value("may_approve", true), false) << what;
      }
    };
    ops.push_back(list);
    Op read{"read an infra change in " + t, "GET", "/api/v1/infra/changes/" + other, {}, {{"viewer", t}}};
    read.allowedStatus = 200;
    ops.push_back(read);

    Op approve{"approve an infra change in " + t, "POST", "/api/v1/infra/changes/" + other + "/approve",
               json{{"comment", "ok by " + c.name}}, {{"viewer", t}}};
    approve.allowed = mayApproveOthers(c, t);
    approve.allowedStatus = 200;
    approve.policyDenial = "lacks the role to approve it";
    approve.check = [&c](const json& j, const std::string& what) {
      EXPECT_EQ(j.value("state", ""), "applied") << what;
      ASSERT_TRUE(j["approval"]["approvals"].is_array()) << what;
      ASSERT_EQ(j["approval"]["approvals"].size(), 1u) << what;
      EXPECT_EQ(j["approval"]["approvals"][0].value("by", ""), c.name) << what;
    };
    ops.push_back(approve);

    const std::string rej = p.infraToReject.at(t);
    Op bare{"reject an infra change without a comment in " + t, "POST", "/api/v1/infra/changes/" + rej + "/reject",
            json::object(), {{"viewer", t}}};
    bare.allowed = false;
    bare.deniedStatusField = "comment";
    ops.push_back(bare);
    Op reject{"reject an infra change in " + t, "POST", "/api/v1/infra/changes/" + rej + "/reject",
              json{{"comment", "not now, says " + c.name}}, {{"viewer", t}}};
    reject.allowed = mayReject(c, t, false);
    reject.allowedStatus = 200;
    reject.policyDenial = "lacks the role to reject it";
    reject.check = [&c](const json& j, const std::string& what) {
      EXPECT_EQ(j.value("state", ""), "rejected") << what;
      EXPECT_EQ(j["approval"].value("rejected_by", ""), c.name) << what;
    };
    ops.push_back(reject);

    if (!own.empty()) {
      Op self{"approve own infra change in " + t, "POST", "/api/v1/infra/changes/" + own + "/approve",
              json{{"comment", "trust me"}}, {{"viewer", t}}};
      self.allowed = false;  // four-eyes, whatever the roles (admin too)
      self.policyDenial = "four-eyes";
      ops.push_back(self);
      Op withdraw{"withdraw own infra change in " + t, "POST", "/api/v1/infra/changes/" + own + "/reject",
                  json{{"comment", "withdrawn by " + c.name}}, {{"viewer", t}}};
      withdraw.allowed = mayReject(c, t, true);
      withdraw.allowedStatus = 200;
      withdraw.check = [&c](const json& j, const std::string& what) {
        EXPECT_EQ(j.value("state", ""), "rejected") << what;
        EXPECT_EQ(j["approval"].value("rejected_by", ""), c.name) << what;
      };
      ops.push_back(withdraw);
    }
  }
  Op listInfra{"list infra changes everywhere", "GET", "/api/v1/infra/changes", {}, {{"viewer", ""}}};
  listInfra.allowedStatus = 200;
  listInfra.check = [&c, p](const json& j, const std::string& what) {
    ASSERT_TRUE(j.is_array()) << what;
    for (const auto& d : j) EXPECT_TRUE(views(c, d.value("env", "?"))) << d.value("id", "") << ": " << what;
    for (const auto& [t, id] : p.infraToApprove) EXPECT_EQ(hasId(j, id), views(c, t)) << id << ": " << what;
  };
  ops.insert(ops.begin(), listInfra);  // while every change is still pending
  Op unknownInfra{"approve an unknown infra change", "POST", "/api/v1/infra/changes/infra-none/approve",
                  json::object(), {{"viewer", ""}}};
  unknownInfra.allowedStatus = 404;
  ops.push_back(unknownInfra);
  Op readUnknownInfra{"read an unknown infra change", "GET", "/api/v1/infra/changes/infra-none", {}, {{"viewer", ""}}};
  readUnknownInfra.allowedStatus = 404;
  ops.push_back(readUnknownInfra);

  // Pending pushes of the config of record: each protected environment's
  // approvers decide (int and prod both ask for one approval).
  const bool approverSomewhere = mayApproveOthers(c, "int") || mayApproveOthers(c, "prod");
  Op approveConfig{"approve a config change", "POST", "/api/v1/approvals/" + p.configToApprove + "/approve",
                   json{{"comment", "ok by " + c.name}}, {{"viewer", ""}}};
  approveConfig.allowed = approverSomewhere;
  approveConfig.allowedStatus = 200;
  approveConfig.policyDenial = "lacks the role to approve it";
  approveConfig.check = [&c](const json& j, const std::string& what) {
    bool both = mayApproveOthers(c, "int") && mayApproveOthers(c, "prod");
    EXPECT_EQ(j.value("state", ""), both ? "in_force" : "pending") << what;
  };
  ops.push_back(approveConfig);
  Op rejectConfig{"reject a config change", "POST", "/api/v1/approvals/" + p.configToReject + "/reject",
                  json{{"comment", "not now, says " + c.name}}, {{"viewer", ""}}};
  rejectConfig.allowed = approverSomewhere;
  rejectConfig.allowedStatus = 200;
  rejectConfig.policyDenial = "lacks the role to reject it";
  rejectConfig.check = [](const json& j, const std::string& what) { EXPECT_EQ(j.value("state", ""), "rejected") << what; };
  ops.push_back(rejectConfig);
  Op unknownConfig{"approve an unknown config change", "POST", "/api/v1/approvals/cfg-999999/approve", json::object(),
                   {{"viewer", ""}}};
  unknownConfig.allowedStatus = 404;
  ops.push_back(unknownConfig);
  return ops;
}

// The config of record, the test's world with `edit` applied.
std::string withEdit(const std::string& yaml, const std::string& from, const std::string& to) {
  std::string out = yaml;
  auto at = out.find(from);
  if (at != std::string::npos) out.replace(at, from.size(), to);
  return out;
}

json configFiles(const std::string& yaml) { return json::array({{{"name", "ramp.yaml"}, {"text", yaml}}}); }

// Reads and dry-run pushes of the config of record (nothing recorded).
std::vector<Op> configOperations(const Caller& c, const std::string& yaml) {
  std::vector<Op> ops;
  Op read{"read the config of record", "GET", "/api/v1/config", {}, {{"viewer", ""}}};
  read.allowedStatus = 200;
  ops.push_back(read);
  Op history{"list config versions", "GET", "/api/v1/config/versions", {}, {{"viewer", ""}}};
  history.allowedStatus = 200;
  ops.push_back(history);
  Op same{"push the config in force", "POST", "/api/v1/config", json{{"files", configFiles(yaml)}}, {{"deployer", ""}}};
  same.allowedStatus = 200;
  same.check = [](const json& j, const std::string& what) { EXPECT_EQ(j.value("state", ""), "unchanged") << what; };
  ops.push_back(same);
  for (std::string t : {"int", "prod"}) {
    // A service change in t only (an override), and a policy change in t only.
    std::string service = yaml + "    overrides:\n      env:\n        " + t + ": {instances: 2}\n";
    Op svc{"push a service change in " + t + " (dry run)", "POST", "/api/v1/config",
           json{{"files", configFiles(service)}, {"dry_run", true}}, {{"deployer", ""}}};
    svc.allowed = holds(c, "deployer", t);
    svc.allowedStatus = 200;
    svc.policyDenial = "needs role deployer in environment " + t;
    svc.check = [](const json& j, const std::string& what) { EXPECT_EQ(j.value("state", ""), "dry_run") << what; };
    ops.push_back(svc);
    const std::string block = "  " + t + ":\n    provider: local\n    approval:\n      approvals: 1\n";
    std::string policy = withEdit(yaml, block, "  " + t + ":\n    provider: local\n    approval:\n      approvals: 2\n");
    EXPECT_NE(policy, yaml) << "the world's " << t << " asks for one approval";
    Op pol{"push a policy change in " + t + " (dry run)", "POST", "/api/v1/config",
           json{{"files", configFiles(policy)}, {"dry_run", true}}, {{"deployer", ""}}};
    pol.allowed = holds(c, "admin", t);
    pol.allowedStatus = 200;
    pol.policyDenial = "needs role admin in environment " + t;
    pol.check = [t](const json& j, const std::string& what) {
      EXPECT_EQ(j.value("state", ""), "dry_run") << what;
      EXPECT_TRUE(j["approvals"].contains(t)) << "a protected environment's policy change waits: " << what;
    };
    ops.push_back(pol);
  }
  return ops;
}

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
    // Infrastructure (server/InfraRoutes.h): plan and drift read, apply writes.
    ops.push_back({"plan infra in " + t, "POST", "/api/v1/infra/plan", json{{"env", t}, {"not_a_field", 1}},
                   {{"viewer", t}}});
    ops.push_back({"apply infra in " + t, "POST", "/api/v1/infra/apply", json{{"env", t}, {"not_a_field", 1}},
                   {{"deployer", t}}});
    ops.push_back({"drift infra in " + t, "POST", "/api/v1/infra/drift", json{{"env", t}, {"not_a_field", 1}},
                   {{"viewer", t}}});
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

// int and prod need one approval and are frozen at every hour, so an
// approved deployment waits for a window that never opens: nothing starts.
constexpr const char* kRampYaml = R"(project: rbac
environments:
  int:
    provider: local
    approval:
      approvals: 1
      expires: 24h
      freeze: {timezone: UTC}
  prod:
    provider: local
    approval:
      approvals: 1
      expires: 24h
      freeze: {timezone: UTC}
pipeline: []    # no promotion order: a deploy into prod needs only its approval
services:
  crawler:
    release:
      from: release
    run:
      command: bin/crawler
    health:
      path: /healthz
      interval: 100ms
      timeout: 80ms
      healthy_threshold: 1
      unhealthy_threshold: 2
    instances: 1
    strategy:
      type: bluegreen
      bake: 0s
      deadline: 20s
      drain: 1s
)";

// `ramp deploy crawler --env ENV` with `token` ("" = the world's admin):
// the new deployment's id, which must await approval.
std::string submitPending(const World& w, const std::string& env, const std::string& token,
                          std::set<std::string>& submitted) {
  std::map<std::string, std::string> e;
  if (!token.empty()) e["RAMP_TOKEN"] = token;
  std::string out;
  int rc = w.cli({"deploy", "crawler", "--env", env, "--version", "1.0.0", "--queue", "--detach", "--json"}, &out, e);
  EXPECT_EQ(rc, 0) << out;
  auto at = out.find('{');
  auto j = at == std::string::npos ? json() : json::parse(out.substr(at), nullptr, false);
  EXPECT_TRUE(j.is_object()) << out;
  if (!j.is_object()) return "";
  EXPECT_EQ(j.value("state", ""), "awaiting_approval") << out;
  std::string id = j.value("id", "");
  submitted.insert(id);
  return id;
}

// POST /api/v1/infra/apply into ENV with `token` ("" = the world's admin),
// with a config that adds the service `extra` (a listener to create): the
// new infrastructure change's id, which must await approval (202).
std::string submitInfraPending(const World& w, const std::string& env, const std::string& token,
                               const std::string& extra) {
  std::string yaml = std::string(kRampYaml) + "  " + extra + ":\n    run:\n      command: bin/crawler\n";
  auto r = w.post("/api/v1/infra/apply", token.empty() ? w.adminToken() : token,
                  json{{"env", env}, {"config", yaml}, {"config_name", "ramp.yaml"}});
  EXPECT_EQ(r.status, 202) << r.body;
  auto j = r.parsed();
  if (!j.is_object() || !j.contains("change")) return "";
  EXPECT_EQ(j["change"].value("state", ""), "pending") << r.body;
  return j["change"].value("id", "");
}

TEST(RbacMatrix, EveryRoleInEveryEnvironmentCanDoExactlyWhatItShould) {
  World w("rbac");
  {
    std::ofstream(w.home() / "ramp.yaml") << kRampYaml;
    fs::create_directories(w.home() / "release" / "bin");
    std::ofstream(w.home() / "release" / "bin" / "crawler") << "#!/bin/sh\nexit 1\n";
    std::string out;
    ASSERT_EQ(w.cli({"release", "create", "crawler", "--version", "1.0.0"}, &out), 0) << out;
  }
  ASSERT_TRUE(w.start()) << ctl::slurp(w.home() / "serve.log");
  const std::string admin = w.adminToken();
  {
    std::string out;
    ASSERT_EQ(w.cli({"config", "push", "-m", "the rbac world"}, &out), 0) << out;
  }

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
  std::set<std::string> submitted;  // every deployment this test asked for
  for (const auto& c : callers) {
    // A token for this caller to try to revoke (made by the admin).
    auto victim = w.post("/api/v1/tokens", admin, {{"user", "grantee"}, {"name", "victim-of-" + c.name}});
    ASSERT_EQ(victim.status, 201) << victim.body;
    std::string victimId = victim.parsed().value("id", "");
    std::string victimToken = victim.parsed().value("token", "");

    // Fresh requests for this caller's turn: two by the world's admin per
    // environment, and the caller's own where it may deploy.
    Pending pending;
    for (std::string t : {"int", "prod"}) {
      pending.toApprove[t] = submitPending(w, t, "", submitted);
      pending.toReject[t] = submitPending(w, t, "", submitted);
      if (holds(c, "deployer", t)) pending.own[t] = submitPending(w, t, c.token, submitted);
      // A service per turn: its listener is what the approved change creates.
      std::string svc = "svc-" + c.name;
      std::replace(svc.begin(), svc.end(), '_', '-');
      pending.infraToApprove[t] = submitInfraPending(w, t, "", svc);
      pending.infraToReject[t] = submitInfraPending(w, t, "", svc);
      if (holds(c, "deployer", t)) pending.infraOwn[t] = submitInfraPending(w, t, c.token, svc);
    }
    // Two changes of int's and prod's policy (both protected) by the admin,
    // on top of the version in force: one to approve, one to reject.
    auto inForce = w.get("/api/v1/config", admin).parsed();
    ASSERT_TRUE(inForce.is_object() && inForce["files"].is_array()) << inForce.dump();
    const std::string current = inForce["files"][0].value("text", "");
    for (std::string* id : {&pending.configToApprove, &pending.configToReject}) {
      std::string changed = current;
      for (std::string t : {"int", "prod"}) {
        auto at = changed.find("  " + t + ":\n    provider: local\n    approval:\n      approvals: 1\n      expires: ");
        ASSERT_NE(at, std::string::npos) << changed;
        auto from = changed.find("expires: ", at) + 9;
        auto end = changed.find('\n', from);
        changed.replace(from, end - from, std::to_string(100 + submitted.size() + (id == &pending.configToReject)) + "h");
      }
      auto r = w.post("/api/v1/config", admin, {{"files", configFiles(changed)}, {"message", "turn of " + c.name}});
      ASSERT_EQ(r.status, 202) << r.body;
      *id = r.parsed().value("id", "");
      ASSERT_TRUE(id->starts_with("cfg-")) << r.body;
    }
    ASSERT_FALSE(::testing::Test::HasFatalFailure());

    auto ops = operations(victimId, c.name);
    for (auto& op : configOperations(c, current)) ops.push_back(std::move(op));
    for (auto& op : approvalOperations(c, pending)) ops.push_back(std::move(op));
    for (const auto& op : ops) {
      bool passesAccess = expectedAllowed(c, op.needs);
      bool expect = op.allowed ? passesAccess && *op.allowed : passesAccess;
      size_t auditBefore = expect ? 0 : w.auditCount();
      std::string targetBefore = op.target.empty() ? "" : w.get("/api/v1/deployments/" + op.target, admin).body;
      auto r = w.call(op.method, op.path, c.token, op.body ? std::optional<std::string>(op.body->dump()) : std::nullopt);
      ASSERT_TRUE(r.ok) << op.name;
      std::string what = fmt::format("{} by {} ({} {}) -> {} {}", op.name, c.name, op.method, op.path, r.status, r.body);
      ++checked;
      if (expect) {
        ++allowedCount;
        EXPECT_NE(r.status, 403) << "should be allowed: " << what;
        EXPECT_NE(r.status, 401) << "should be allowed: " << what;
        EXPECT_LT(r.status, 500) << what;
        if (op.allowedStatus) {
          EXPECT_EQ(r.status, *op.allowedStatus) << what;
        }
        if (op.check && r.status < 300) op.check(r.parsed(), what);
      } else if (passesAccess) {
        // Past the access layer, refused by the route itself (approval policy, bad input).
        ++deniedCount;
        auto err = r.parsed()["error"];
        if (!op.deniedStatusField.empty()) {
          EXPECT_EQ(r.status, 400) << "should be refused: " << what;
          EXPECT_EQ(err.value("field", ""), op.deniedStatusField) << what;
        } else {
          EXPECT_EQ(r.status, 403) << "should be denied: " << what;
          EXPECT_EQ(err.value("code", ""), "permission_denied") << what;
          EXPECT_NE(err.value("message", "").find(op.policyDenial), std::string::npos) << what;
        }
        EXPECT_EQ(w.auditCount(), auditBefore) << "a refused call changed the audit log: " << what;
        if (!op.target.empty()) {
          EXPECT_EQ(w.get("/api/v1/deployments/" + op.target, admin).body, targetBefore)
              << "a refused call changed " << op.target << ": " << what;
        }
      } else {
        ++deniedCount;
        ASSERT_EQ(r.status, 403) << "should be denied: " << what;
        if (!op.target.empty()) {
          EXPECT_EQ(w.get("/api/v1/deployments/" + op.target, admin).body, targetBefore)
              << "a denied call changed " << op.target << ": " << what;
        }
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

  // Nothing was deployed by anyone: the only deployments are the requests
  // made above, and none of them started (approved ones wait for a window).
  auto deps = w.get("/api/v1/deployments?limit=1000", admin).parsed();
  ASSERT_TRUE(deps.is_array());
  EXPECT_EQ(deps.size(), submitted.size()) << deps.dump();
  std::set<std::string> states;
  for (auto& d : deps) {
    EXPECT_TRUE(submitted.contains(d.value("id", ""))) << d.dump();
    std::string state = d.value("state", "");
    states.insert(state);
    EXPECT_TRUE(state == "awaiting_approval" || state == "queued" || state == "aborted") << d.dump();
    EXPECT_EQ(d.value("step", -1), 0) << d.dump();
  }
  EXPECT_EQ(states, (std::set<std::string>{"awaiting_approval", "queued", "aborted"}));
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
