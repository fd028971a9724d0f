// IdentityTest — server/Identity on a real SQLite store with a ManualClock:
// token refusals name their reason (unknown, revoked, expired, disabled
// user, vanished user), expiry is checked against the injected clock (no
// sleeping), revocation takes effect on the very next call, and the first
// admin of a world is made once, even by two controllers starting together.
#include <sys/stat.h>

#include <barrier>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "core/Clock.h"
#include "core/Home.h"
#include "core/Sha256.h"
#include "server/Access.h"
#include "server/ApiServer.h"
#include "server/Identity.h"
#include "store/Store.h"

using namespace ramp;
using namespace ramp::server;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kT0 = 1'800'000'000'000;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

class IdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("RAMP_HOME");
    home_ = fs::path(base && *base ? base : fs::temp_directory_path().c_str()) / ("identity-" + randomHex(4));
    fs::create_directories(home_);
    url_ = "sqlite://" + (home_ / "ramp.db").string();
    auto s = store::openStore(url_);
    ASSERT_TRUE(s) << s.error().describe();
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(home_);
  }
  void addUser(const std::string& name, store::Json roles, bool disabled = false) {
    ASSERT_TRUE(store_->putUser(store::UserRecord{name, std::move(roles), kT0, "test", disabled}));
  }

  fs::path home_;
  std::string url_;
  std::unique_ptr<store::Store> store_;
  ManualClock clock_{fromUnixMillis(kT0)};
};

// `ramp token list` shows when a token was last used: recorded on
// authentication, to the minute (one write per token per minute at most).
TEST_F(IdentityTest, RecordsWhenATokenWasLastUsedToTheMinute) {
  addUser("ci", {{"*", {"viewer"}}});
  Identity id(*store_, clock_);
  auto t = id.issueToken("ci", "pipeline", std::nullopt);
  ASSERT_TRUE(t) << t.error().describe();
  auto lastUsed = [&]() { return store_->findTokenBySha256(t->record.sha256)->lastUsedAt; };
  EXPECT_FALSE(lastUsed().has_value()) << "a token never used has no last use";
  ASSERT_TRUE(id.authenticate(t->token));
  ASSERT_TRUE(lastUsed().has_value());
  EXPECT_EQ(*lastUsed(), kT0);
  clock_.advance(std::chrono::seconds(30));
  ASSERT_TRUE(id.authenticate(t->token));
  EXPECT_EQ(*lastUsed(), kT0) << "within the minute: not written again";
  clock_.advance(std::chrono::seconds(31));
  ASSERT_TRUE(id.authenticate(t->token));
  EXPECT_EQ(*lastUsed(), kT0 + 61'000);
  // A refused token is not "used".
  ASSERT_TRUE(store_->revokeToken(t->record.id, kT0 + 62'000));
  clock_.advance(std::chrono::minutes(5));
  EXPECT_FALSE(id.authenticate(t->token));
  EXPECT_EQ(*lastUsed(), kT0 + 61'000);
}

TEST_F(IdentityTest, AuthenticatesAndNamesEveryRefusal) {
  addUser("dev", {{"int", {"deployer"}}, {"*", {"viewer"}}});
  Identity id(*store_, clock_);
  auto t = id.issueToken("dev", "laptop", std::nullopt);
  ASSERT_TRUE(t) << t.error().describe();
  EXPECT_TRUE(t->token.starts_with("ramp_"));
  EXPECT_EQ(t->record.sha256, sha256Hex(t->token));
  EXPECT_TRUE(t->record.id.starts_with("tok-"));

  auto p = id.authenticate(t->token);
  ASSERT_TRUE(p) << p.error().describe();
  EXPECT_EQ(p->user, "dev");
  EXPECT_EQ(p->tokenId, t->record.id);
  EXPECT_TRUE(p->has("deployer", "int"));
  EXPECT_FALSE(p->has("deployer", "prod"));
  EXPECT_TRUE(p->has("viewer", "prod"));

  auto unknown = id.authenticate("ramp_" + std::string(48, '0'));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kUnauthenticated);
  EXPECT_TRUE(contains(unknown.error().message, "unknown token")) << unknown.error().message;

  // Revocation: refused on the very next call, naming the token.
  ASSERT_TRUE(store_->revokeToken(t->record.id, kT0 + 5));
  auto revoked = id.authenticate(t->token);
  ASSERT_FALSE(revoked);
  EXPECT_EQ(revoked.error().code, ErrorCode::kUnauthenticated);
  EXPECT_TRUE(contains(revoked.error().message, t->record.id + " was revoked")) << revoked.error().message;

  // Disabled user: every token of theirs is refused.
  auto t2 = id.issueToken("dev", "ci", std::nullopt);
  ASSERT_TRUE(t2);
  addUser("dev", {{"int", {"deployer"}}}, /*disabled=*/true);
  auto disabled = id.authenticate(t2->token);
  ASSERT_FALSE(disabled);
  EXPECT_TRUE(contains(disabled.error().message, "user dev is disabled")) << disabled.error().message;
  // ...and no new token for them.
  auto refused = id.issueToken("dev", "x", std::nullopt);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);

  // A token whose user does not exist.
  ASSERT_TRUE(store_->insertToken(store::TokenRecord{"tok-ghost", "ghost", "", sha256Hex("ramp_ghost"), kT0, {}, {}, {}}));
  auto ghost = id.authenticate("ramp_ghost");
  ASSERT_FALSE(ghost);
  EXPECT_TRUE(contains(ghost.error().message, "ghost, who no longer exists")) << ghost.error().message;
  EXPECT_EQ(id.issueToken("nobody", "", std::nullopt).error().code, ErrorCode::kNotFound);
}

TEST_F(IdentityTest, ExpiryFollowsTheInjectedClock) {
  addUser("ci", {{"int", {"deployer"}}});
  Identity id(*store_, clock_);
  auto t = id.issueToken("ci", "ci", kT0 + 1000);
  ASSERT_TRUE(t);
  ASSERT_TRUE(id.authenticate(t->token));
  clock_.advance(std::chrono::milliseconds(999));
  ASSERT_TRUE(id.authenticate(t->token));
  clock_.advance(std::chrono::milliseconds(1));
  auto expired = id.authenticate(t->token);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, ErrorCode::kUnauthenticated);
  EXPECT_TRUE(contains(expired.error().message, t->record.id + " expired at")) << expired.error().message;

  // An expiry that is not in the future is refused at creation.
  auto past = id.issueToken("ci", "old", toUnixMillis(clock_.now()));
  ASSERT_FALSE(past);
  EXPECT_EQ(past.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(past.error().where, "expires");
  EXPECT_EQ(store_->listTokens(std::string("ci"))->size(), 1u);
}

TEST_F(IdentityTest, RoleSpecsAndRoleChecksNameTheProblem) {
  auto r = Identity::rolesFromSpecs({"deployer@int", "viewer", "approver@prod", "hotfix@prod"}, "--role");
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ((*r)["*"], store::Json::array({"viewer"}));
  EXPECT_EQ((*r)["int"], store::Json::array({"deployer"}));
  EXPECT_EQ((*r)["prod"], store::Json::array({"approver", "hotfix"}));

  auto bad = Identity::rolesFromSpecs({"deployr@int"}, "--role");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().where, "--role");
  EXPECT_TRUE(contains(bad.error().message, "unknown role 'deployr'")) << bad.error().message;
  EXPECT_FALSE(Identity::rolesFromSpecs({"viewer@"}, "--role"));

  auto badJson = Identity::checkRoles(store::Json{{"prod", {"root"}}});
  ASSERT_FALSE(badJson);
  EXPECT_EQ(badJson.error().where, "roles.prod");
  EXPECT_FALSE(Identity::checkRoles(store::Json::array()));
  EXPECT_TRUE(Identity::checkRoles(store::Json{{"*", {"admin"}}}));
}

TEST_F(IdentityTest, FirstAdminIsMadeOnceAndReused) {
  Identity id(*store_, clock_);
  auto made = id.ensureAdmin(home_, "alice");
  ASSERT_TRUE(made) << made.error().describe();
  ASSERT_TRUE(*made);
  auto first = *made;
  struct stat sb {};
  ASSERT_EQ(::stat((home_ / "admin.token").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);
  auto p = id.authenticate(*first);
  ASSERT_TRUE(p) << p.error().describe();
  EXPECT_EQ(p->user, "alice");
  EXPECT_TRUE(p->has("admin", "*"));

  // A restart reuses the file's token: same token, no second user or token.
  auto again = id.ensureAdmin(home_, "alice");
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, first);
  EXPECT_EQ(store_->listUsers()->size(), 1u);
  EXPECT_EQ(store_->listTokens(std::nullopt)->size(), 1u);

  // A world whose file predates the store (the old admin token) gets it registered.
  store_.reset();
  for (const char* f : {"ramp.db", "ramp.db-wal", "ramp.db-shm"}) fs::remove(home_ / f);
  auto fresh = store::openStore(url_);
  ASSERT_TRUE(fresh);
  store_ = std::move(*fresh);
  Identity id2(*store_, clock_);
  auto kept = id2.ensureAdmin(home_, "alice");
  ASSERT_TRUE(kept);
  EXPECT_EQ(*kept, first);
  EXPECT_TRUE(id2.authenticate(*first));
}

TEST_F(IdentityTest, ASecondHomeOfASetUpWorldMintsNoSecondAdminToken) {
  Identity id(*store_, clock_);
  auto made = id.ensureAdmin(home_, "alice");
  ASSERT_TRUE(made && *made);
  // Another home (another host) sharing the store, without an admin.token.
  fs::path other = home_ / "host-b";
  fs::create_directories(other);
  auto none = id.ensureAdmin(other, "bob");
  ASSERT_TRUE(none) << none.error().describe();
  EXPECT_FALSE(*none);
  EXPECT_FALSE(fs::exists(other / "admin.token"));
  EXPECT_EQ(store_->listTokens(std::nullopt)->size(), 1u);
  EXPECT_EQ(store_->listUsers()->size(), 1u);
  // Given a token of the world (copied by a person), that home uses it.
  ASSERT_TRUE(writeFileAtomic(other / "admin.token", **made + "\n"));
  auto given = id.ensureAdmin(other, "bob");
  ASSERT_TRUE(given && *given);
  EXPECT_EQ(**given, **made);
  EXPECT_EQ(store_->listTokens(std::nullopt)->size(), 1u);
}

TEST_F(IdentityTest, TwoControllersStartingTogetherAgreeOnOneAdminToken) {
  constexpr int kThreads = 4;
  std::vector<std::unique_ptr<store::Store>> stores;
  for (int i = 0; i < kThreads; ++i) {
    auto s = store::openStore(url_);
    ASSERT_TRUE(s);
    stores.push_back(std::move(*s));
  }
  std::barrier start(kThreads);
  std::vector<std::string> tokens(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      Identity id(*stores[i], clock_);
      start.arrive_and_wait();
      auto t = id.ensureAdmin(home_, "alice");
      tokens[i] = t ? t->value_or("none") : "error: " + t.error().describe();
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> distinct(tokens.begin(), tokens.end());
  ASSERT_EQ(distinct.size(), 1u) << *distinct.begin() << " / " << *distinct.rbegin();
  EXPECT_TRUE(distinct.begin()->starts_with("ramp_")) << *distinct.begin();
  EXPECT_EQ(store_->listTokens(std::nullopt)->size(), 1u);
  EXPECT_EQ(store_->listUsers()->size(), 1u);
  std::ifstream in(home_ / "admin.token");
  std::string fileToken;
  std::getline(in, fileToken);
  EXPECT_EQ(fileToken, *distinct.begin());
  // No temporary files left behind.
  for (const auto& e : fs::directory_iterator(home_)) {
    EXPECT_FALSE(contains(e.path().filename().string(), ".tmp-")) << e.path();
  }
}

TEST(AccessTest, NeedsComeFromTheBodyTheQueryOrAreGlobal) {
  ApiRequest r;
  r.body = {{"env", "prod"}};
  r.query = {{"env", "int"}};
  auto b = Access::bodyEnv("deployer").needs(r);
  ASSERT_TRUE(b);
  ASSERT_EQ(b->size(), 1u);
  EXPECT_EQ((*b)[0].role, "deployer");
  EXPECT_EQ((*b)[0].env, "prod");
  auto q = Access::queryEnv("viewer").needs(r);
  ASSERT_TRUE(q);
  EXPECT_EQ((*q)[0].env, "int");
  EXPECT_EQ((*Access::global("admin").needs(r))[0].env, "*");
  EXPECT_TRUE(Access::open().needs(r)->empty());
  EXPECT_TRUE(Access::open().isOpen());

  ApiRequest none;
  none.body = store::Json::object();
  EXPECT_EQ((*Access::bodyEnv("deployer").needs(none))[0].env, "*");
  EXPECT_EQ((*Access::queryEnv("viewer").needs(none))[0].env, "*");
  none.body = {{"env", 3}};
  auto bad = Access::bodyEnv("deployer").needs(none);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(bad.error().where, "env");
}

}  // namespace
