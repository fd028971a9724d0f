// TokenLifecycleTest — tokens and the first admin through the real CLI and
// the real API of `ramp serve`: the admin token file (0600, kept across
// restarts), bad / missing / revoked / expired tokens and disabled users are
// 401s that say which, tokens are never shown again nor written to the
// audit, and every identity change is an audit event naming who made it.
#include <sys/stat.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "IdentityWorld.h"
#include "core/Sha256.h"

namespace {

using idt::json;
using idt::World;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(TokenLifecycle, RefusalsSayWhyAndNothingLeaksIntoTheAudit) {
  World w("tokens");
  ASSERT_TRUE(w.start()) << ctl::slurp(w.home() / "serve.log");
  const std::string admin = w.adminToken();
  ASSERT_TRUE(admin.starts_with("ramp_")) << admin;

  struct stat sb {};
  ASSERT_EQ(::stat((w.home() / "admin.token").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);

  // No token, a malformed header, an unknown token.
  auto none = w.get("/api/v1/status", "");
  EXPECT_EQ(none.status, 401) << none.body;
  EXPECT_TRUE(contains(none.body, "missing bearer token")) << none.body;
  auto bad = w.get("/api/v1/status", "ramp_not_a_real_token");
  EXPECT_EQ(bad.status, 401) << bad.body;
  EXPECT_TRUE(contains(bad.body, "unknown token")) << bad.body;

  // A user and a token through the CLI.
  std::string out;
  ASSERT_EQ(w.cli({"user", "add", "dev", "--role", "deployer@int", "--role", "viewer@prod"}, &out), 0) << out;
  out.clear();
  EXPECT_NE(w.cli({"user", "add", "dev2", "--role", "deployr@int"}, &out), 0);
  EXPECT_TRUE(contains(out, "--role")) << out;
  EXPECT_TRUE(contains(out, "unknown role 'deployr'")) << out;
  out.clear();
  EXPECT_NE(w.cli({"user", "add", "dev"}, &out), 0) << "a second user of the same name";
  EXPECT_TRUE(contains(out, "already exists")) << out;

  out.clear();
  ASSERT_EQ(w.cli({"token", "create", "--user", "dev", "--name", "laptop", "--json"}, &out), 0) << out;
  auto created = json::parse(out, nullptr, false);
  ASSERT_TRUE(created.is_object()) << out;
  std::string devToken = created.value("token", "");
  std::string devTokenId = created.value("id", "");
  ASSERT_TRUE(devToken.starts_with("ramp_")) << out;
  EXPECT_EQ(w.get("/api/v1/status?env=int", devToken).status, 200);
  EXPECT_EQ(w.get("/api/v1/status?env=prod", devToken).status, 200);

  // The token is never shown again: not by list, not in the audit.
  out.clear();
  ASSERT_EQ(w.cli({"token", "list", "--json"}, &out), 0) << out;
  EXPECT_TRUE(contains(out, devTokenId)) << out;
  EXPECT_FALSE(contains(out, devToken));
  EXPECT_FALSE(contains(out, ramp::sha256Hex(devToken)));
  out.clear();
  ASSERT_EQ(w.cli({"token", "list"}, &out), 0) << out;
  EXPECT_TRUE(contains(out, "laptop")) << out;

  // Expiry: refused at creation when not in the future (CLI and API), and
  // a 1 s token stops working once it has passed (the only wall-clock wait).
  out.clear();
  EXPECT_NE(w.cli({"token", "create", "--user", "dev", "--expires", "0s"}, &out), 0);
  EXPECT_TRUE(contains(out, "--expires")) << out;
  auto past = w.post("/api/v1/tokens", admin, {{"user", "dev"}, {"expires", "0s"}});
  EXPECT_EQ(past.status, 400) << past.body;
  EXPECT_EQ(past.parsed()["error"].value("field", ""), "expires") << past.body;
  auto soon = w.post("/api/v1/tokens", admin, {{"user", "dev"}, {"name", "short"}, {"expires", "1s"}});
  ASSERT_EQ(soon.status, 201) << soon.body;
  std::string shortToken = soon.parsed().value("token", "");
  EXPECT_EQ(w.get("/api/v1/status?env=int", shortToken).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  auto expired = w.get("/api/v1/status?env=int", shortToken);
  EXPECT_EQ(expired.status, 401) << expired.body;
  EXPECT_TRUE(contains(expired.body, "expired at")) << expired.body;

  // Revocation takes effect on the very next request.
  auto spare = w.post("/api/v1/tokens", admin, {{"user", "dev"}, {"name", "spare"}});
  ASSERT_EQ(spare.status, 201);
  std::string spareToken = spare.parsed().value("token", "");
  out.clear();
  ASSERT_EQ(w.cli({"token", "revoke", devTokenId}, &out), 0) << out;
  auto revoked = w.get("/api/v1/status?env=int", devToken);
  EXPECT_EQ(revoked.status, 401) << revoked.body;
  EXPECT_TRUE(contains(revoked.body, devTokenId + " was revoked")) << revoked.body;
  EXPECT_EQ(w.get("/api/v1/status?env=int", spareToken).status, 200);
  out.clear();
  EXPECT_NE(w.cli({"token", "revoke", "tok-nosuch"}, &out), 0);
  EXPECT_TRUE(contains(out, "no token tok-nosuch")) << out;

  // A disabled user's tokens stop working; the admin cannot disable itself.
  out.clear();
  ASSERT_EQ(w.cli({"user", "disable", "dev"}, &out), 0) << out;
  auto disabled = w.get("/api/v1/status?env=int", spareToken);
  EXPECT_EQ(disabled.status, 401) << disabled.body;
  EXPECT_TRUE(contains(disabled.body, "user dev is disabled")) << disabled.body;
  auto users = w.get("/api/v1/users", admin).parsed();
  std::string adminUser;
  for (auto& u : users)
    if (u["roles"].contains("*")) adminUser = u.value("name", "");
  ASSERT_FALSE(adminUser.empty()) << users.dump();
  auto self = w.post("/api/v1/users/" + adminUser + "/disable", admin, json::object());
  EXPECT_EQ(self.status, 412) << self.body;

  // Grant and revoke-role through the CLI.
  out.clear();
  ASSERT_EQ(w.cli({"user", "add", "rm", "--role", "approver@prod"}, &out), 0) << out;
  out.clear();
  ASSERT_EQ(w.cli({"user", "grant", "rm", "--role", "viewer"}, &out), 0) << out;
  out.clear();
  ASSERT_EQ(w.cli({"user", "revoke-role", "rm", "--role", "approver@prod"}, &out), 0) << out;
  out.clear();
  ASSERT_EQ(w.cli({"user", "list", "--json"}, &out), 0) << out;
  auto listed = json::parse(out, nullptr, false);
  ASSERT_TRUE(listed.is_array()) << out;
  bool sawRm = false;
  for (auto& u : listed) {
    if (u.value("name", "") != "rm") continue;
    sawRm = true;
    EXPECT_EQ(u["roles"], json({{"*", {"viewer"}}})) << u.dump();
  }
  EXPECT_TRUE(sawRm) << out;

  // The audit: who did what, and no token or hash anywhere in it.
  auto audit = w.get("/api/v1/audit?limit=10000", admin);
  ASSERT_EQ(audit.status, 200) << audit.body;
  std::multiset<std::string> kinds;
  for (auto& e : audit.parsed()) {
    std::string kind = e.value("kind", "");
    if (kind.rfind("user.", 0) == 0 || kind.rfind("token.", 0) == 0) {
      kinds.insert(kind);
      if (e.value("actor", "") != "ramp") EXPECT_EQ(e.value("actor", ""), adminUser) << e.dump();
    }
  }
  EXPECT_EQ(kinds.count("user.add"), 3u) << "first admin, dev, rm";
  EXPECT_EQ(kinds.count("token.create"), 4u) << "admin.token, laptop, short, spare";
  EXPECT_EQ(kinds.count("token.revoke"), 1u);
  EXPECT_EQ(kinds.count("user.disable"), 1u);
  EXPECT_EQ(kinds.count("user.grant"), 1u);
  EXPECT_EQ(kinds.count("user.revoke_role"), 1u);
  for (const auto& t : {admin, devToken, shortToken, spareToken}) {
    EXPECT_FALSE(contains(audit.body, t)) << "a token in the audit";
    EXPECT_FALSE(contains(audit.body, ramp::sha256Hex(t))) << "a token hash in the audit";
  }

  // A restart keeps the admin token file and its token.
  ASSERT_TRUE(w.terminate());
  ASSERT_TRUE(w.start()) << ctl::slurp(w.home() / "serve.log");
  EXPECT_EQ(w.adminToken(), admin);
  EXPECT_EQ(w.get("/api/v1/users", admin).status, 200);
  auto after = w.get("/api/v1/tokens?user=" + adminUser, admin).parsed();
  EXPECT_EQ(after.size(), 1u) << after.dump();
  EXPECT_EQ(w.get("/api/v1/status?env=int", devToken).status, 401) << "revocation survives a restart";
  EXPECT_TRUE(w.stop());
}

}  // namespace
