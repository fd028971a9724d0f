// Leader failover: two `ramp serve` on one PostgreSQL database (and one
// home, since the local provider's fleets live on this machine). The first
// leads; the second follows (serves reads, forwards writes). The leader is
// killed with SIGKILL in the middle of a blue/green deployment under load;
// the follower must take the lease within the lease TTL + 10 s, finish the
// deployment with the same outcome, and no request may fail.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "../store/PgTestDatabase.h"
#include "ControllerWorld.h"

using namespace ctl;

TEST(Failover, FollowerTakesOverAndFinishesTheDeployment) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  auto db = ramp::store::test::PgTestDatabase::create();
  ASSERT_TRUE(db) << db.error().describe();
  World w("ha");
  ASSERT_TRUE(w.createReleases());
  const std::vector<std::string> serveArgs{"serve", "--home", w.home().string(), "--store", db->url(),
                                           "--lease-ttl", "3s"};
  pid_t a = startServe(serveArgs, w.home() / "serve-a.log");
  ASSERT_TRUE(w.waitController(a, std::chrono::seconds(20))) << slurp(w.home() / "serve-a.log");
  pid_t b = startServe(serveArgs, w.home() / "serve-b.log");
  ASSERT_TRUE(w.waitController(b, std::chrono::seconds(20))) << slurp(w.home() / "serve-b.log");
  auto health = http("GET", w.apiBase() + "/api/v1/health", "");
  EXPECT_EQ(health.parsed().value("role", ""), "follower") << health.body;

  struct Cleanup {
    World& w;
    pid_t a, b;
    ~Cleanup() {
      bool stopped = false;
      (void)downAndReap(w, {b, a}, &stopped);
      EXPECT_TRUE(stopped) << "a controller did not stop after `ramp down`";
    }
  } cleanup{w, a, b};

  // Through the follower: the writes are forwarded to the leader.
  ASSERT_TRUE(w.pushConfig());
  ASSERT_EQ(w.run({"deploy", "crawler", "--env", "int", "--version", "1.0.0"}), 0)
      << slurp(w.home() / "serve-a.log") << slurp(w.home() / "serve-b.log");
  std::string out;
  ASSERT_EQ(w.run({"status", "crawler", "--env", "int", "--json"}, &out), 0) << out;
  std::string url = json::parse(out, nullptr, false).value("entrypoint", "");
  ASSERT_FALSE(url.empty()) << out;
  // The follower serves the audit event stream itself, from the shared store.
  auto stream = http("GET", w.apiBase() + "/api/v1/events/stream?env=int&access_token=" + w.token(), "",
                     std::nullopt, 700);
  EXPECT_EQ(stream.status, 200) << stream.body.substr(0, 300);
  EXPECT_NE(stream.body.find("event: deployment.created"), std::string::npos) << stream.body.substr(0, 300);
  EXPECT_EQ(http("GET", w.apiBase() + "/api/v1/events/stream?access_token=wrong", "", std::nullopt, 700).status, 401);

  Load load(url);
  load.start();
  out.clear();
  ASSERT_EQ(w.run({"deploy", "crawler", "--env", "int", "--version", "2.0.0", "--detach"}, &out), 0) << out;
  std::string id = out.substr(0, out.find('\n'));
  ASSERT_FALSE(id.empty());

  // Kill the leader once the green fleet is being created or later.
  auto deadline = SteadyClock::now() + std::chrono::seconds(30);
  std::string phase;
  while (SteadyClock::now() < deadline) {
    auto d = w.api("GET", "/api/v1/deployments/" + id).parsed();
    phase = d.is_object() ? d.value("phase", "") : "";
    if (phase == "wait_healthy" || phase == "switch" || phase == "verify_switch" || phase == "bake") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(phase == "wait_healthy" || phase == "switch" || phase == "verify_switch" || phase == "bake")
      << "deployment " << id << " in phase '" << phase << "'";
  ASSERT_EQ(kill(a, SIGKILL), 0);
  auto killedAt = SteadyClock::now();
  auto st = waitChild(a, std::chrono::seconds(5));
  ASSERT_TRUE(st && WIFSIGNALED(*st));

  // The follower takes the lease and leads (it rewrites controller.json).
  bool leads = false;
  deadline = killedAt + std::chrono::seconds(3 + 10);
  while (SteadyClock::now() < deadline) {
    auto j = w.controllerJson();
    if (j.is_object() && j.value("pid", 0) == b && j.value("role", "") == "leader") {
      auto h = http("GET", w.apiBase() + "/api/v1/health", "", std::nullopt, 1000);
      if (h.ok && h.parsed().value("role", "") == "leader") {
        leads = true;
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  double takeover = std::chrono::duration<double>(SteadyClock::now() - killedAt).count();
  ASSERT_TRUE(leads) << "the follower did not take over within the lease TTL + 10 s:\n" << slurp(w.home() / "serve-b.log");
  std::cout << fmt::format("killed the leader in phase {}; the follower led after {:.2f} s\n", phase, takeover);

  json d;
  deadline = SteadyClock::now() + std::chrono::seconds(60);
  while (SteadyClock::now() < deadline) {
    d = w.api("GET", "/api/v1/deployments/" + id).parsed();
    if (d.is_object() && d.value("phase", "") == "done") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  load.stop();
  EXPECT_EQ(d.value("state", ""), "succeeded") << d.dump();
  EXPECT_EQ(d.value("phase", ""), "done") << d.dump();
  EXPECT_EQ(load.failed(), 0u) << load.firstFailure();
  EXPECT_GT(load.total(), 50u);
  // The new leader acts at a higher epoch.
  std::string blog = slurp(w.home() / "serve-b.log");
  EXPECT_NE(blog.find("holding the controller lease at epoch 2"), std::string::npos) << blog;
  // Green is the only fleet serving, blue was retired once.
  auto status = w.api("GET", "/api/v1/status?service=crawler&env=int").parsed();
  ASSERT_TRUE(status.is_array() && !status.empty()) << status.dump();
  int serving = 0;
  for (auto& f : status[0]["fleets"]) {
    if (f.value("weight", 0) > 0) {
      ++serving;
      EXPECT_EQ(f.value("version", ""), "2.0.0");
    }
  }
  EXPECT_EQ(serving, 1) << status.dump();
  std::cout << fmt::format("{} requests, {} failed\n", load.total(), load.failed());
}

// One home, one store. The PostgreSQL soak found a home with two
// controllers: `ramp serve --store postgresql://...` was still starting when
// a CLI command found no controller and started one on the home's SQLite;
// both led (each holding its own store's lease), shared controller.json, the
// audit seal and the router, and once the PostgreSQL one was killed the CLI
// found neither ("did not answer within 20 s"). A controller of another
// store is now refused while one of the home lives, and the live one is
// left as it was.
TEST(Failover, AHomeServedOnOneStoreRefusesAControllerOfAnother) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  auto db = ramp::store::test::PgTestDatabase::create();
  ASSERT_TRUE(db) << db.error().describe();
  World w("onestore");
  ASSERT_TRUE(w.createReleases());
  ASSERT_TRUE(w.pushConfig());  // the CLI starts the home's controller on its SQLite
  auto before = w.controllerJson();
  ASSERT_TRUE(before.is_object());
  pid_t first = before.value("pid", 0);
  ASSERT_GT(first, 0);

  pid_t second = startServe({"serve", "--home", w.home().string(), "--store", db->url(), "--lease-ttl", "3s"},
                            w.home() / "second.log");
  auto st = waitChild(second, std::chrono::seconds(30));
  if (!st) {
    kill(second, SIGKILL);
    waitChild(second, std::chrono::seconds(5));
  }
  ASSERT_TRUE(st) << "a controller of another store kept running: " << slurp(w.home() / "second.log");
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 1) << *st << slurp(w.home() / "second.log");
  EXPECT_NE(slurp(w.home() / "second.log").find("running on another store"), std::string::npos)
      << slurp(w.home() / "second.log");
  // The live controller is the home's, as before, and answers.
  EXPECT_EQ(w.controllerJson().value("pid", 0), first);
  EXPECT_EQ(w.api("GET", "/api/v1/health").status, 200);
  std::string out;
  EXPECT_EQ(w.run({"status", "--json"}, &out), 0) << out;
  // Once it is stopped, the other store may serve the home.
  EXPECT_EQ(w.run({"down"}), 0);
  pid_t third = startServe({"serve", "--home", w.home().string(), "--store", db->url(), "--lease-ttl", "3s"},
                           w.home() / "third.log");
  EXPECT_TRUE(w.waitController(third, std::chrono::seconds(20))) << slurp(w.home() / "third.log");
  bool stopped = false;
  (void)downAndReap(w, {third}, &stopped);
  EXPECT_TRUE(stopped);
}
