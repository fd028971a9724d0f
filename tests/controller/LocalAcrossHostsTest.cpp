// A `local` environment across hosts: two homes (as two hosts would have)
// share one PostgreSQL store. A's controller deploys the local environment
// (its fleets and router are A's processes) and dies; B leads. B acts on
// nothing of A's: the deployment is left as it is with the reason, a new
// deployment of that environment through B is refused naming A's site,
// `ramp down --env int` through B leaves A's fleets running and marks none
// retired, B starts no router of its own, and A's entry point keeps serving
// the release it served. When A leads again it deploys there, on the same
// entry point. (docs/controller.md, "local environments across hosts".)
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "../store/PgTestDatabase.h"
#include "ControllerWorld.h"

using namespace ctl;

namespace {

std::string versionAt(const std::string& url) {
  auto r = http("GET", url + "/version", "", std::nullopt, 2000);
  return r.ok && r.status == 200 ? r.body : "(no answer: " + std::to_string(r.status) + ")";
}

json statusOf(const World& w, const std::string& token) {
  auto r = http("GET", w.apiBase() + "/api/v1/status?service=crawler&env=int", token);
  auto j = r.parsed();
  return j.is_array() && !j.empty() ? j[0] : json();
}

}  // namespace

TEST(LocalAcrossHosts, AnotherHostsLeaderNeverActsOnALocalEnvironment) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  auto db = ramp::store::test::PgTestDatabase::create();
  ASSERT_TRUE(db) << db.error().describe();
  World a("host-a"), b("host-b");
  fs::path key = fs::path(env("RAMP_HOME")) / "world-audit.key";
  std::ofstream(key) << std::string(64, 'c') << "\n";
  fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write);
  auto serveArgs = [&](const World& w) {
    return std::vector<std::string>{"serve", "--home", w.home().string(), "--store", db->url(), "--lease-ttl", "2s",
                                    "--audit-key-file", key.string()};
  };

  pid_t pa = startServe(serveArgs(a), a.home() / "serve-a1.log");
  ASSERT_TRUE(a.waitController(pa, std::chrono::seconds(20))) << slurp(a.home() / "serve-a1.log");
  std::vector<pid_t> running{pa};
  bool done = false;
  struct Cleanup {
    World& a;
    std::vector<pid_t>& running;
    bool& done;
    ~Cleanup() {
      if (done) return;
      for (pid_t p : running) {
        if (p > 0 && processAlive(p)) kill(p, SIGTERM);
      }
      for (pid_t p : running) {
        if (p > 0) waitChild(p, std::chrono::seconds(20));
      }
      // A's controller (started by the CLI) takes A's fleets and router down.
      (void)a.run({"down"});
    }
  } cleanup{a, running, done};

  ASSERT_TRUE(a.createReleases());
  ASSERT_TRUE(a.pushConfig());
  ASSERT_EQ(a.run({"deploy", "crawler", "--env", "int", "--version", "1.0.0"}), 0) << slurp(a.home() / "serve-a1.log");
  json sa = statusOf(a, a.token());
  std::string url = sa.value("entrypoint", "");
  ASSERT_FALSE(url.empty()) << sa.dump();
  EXPECT_EQ(versionAt(url), "1.0.0\n");

  // A dies; its fleets and router live on. B leads once A's lease runs out.
  ASSERT_EQ(kill(pa, SIGKILL), 0);
  ASSERT_TRUE(waitChild(pa, std::chrono::seconds(5)));
  running.clear();
  pid_t pb = startServe(serveArgs(b), b.home() / "serve-b.log");
  running.push_back(pb);
  ASSERT_TRUE(b.waitController(pb, std::chrono::seconds(20))) << slurp(b.home() / "serve-b.log");
  auto leads = [&](const World& w) {
    auto h = http("GET", w.apiBase() + "/api/v1/health", "", std::nullopt, 1000);
    return h.ok && h.parsed().value("role", "") == "leader";
  };
  auto until = SteadyClock::now() + std::chrono::seconds(15);
  while (!leads(b) && SteadyClock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(leads(b)) << slurp(b.home() / "serve-b.log");
  const std::map<std::string, std::string> asAdmin{{"RAMP_TOKEN", a.token()}};

  // B sees the world (one store) but runs nothing of A's.
  json sb = statusOf(b, a.token());
  EXPECT_EQ(sb.value("entrypoint", ""), url) << sb.dump();
  EXPECT_FALSE(fs::exists(b.home() / "router" / "admin.json")) << "B started a router of its own";
  for (int i = 0; i < 10; ++i) {  // a second of B's ticks
    EXPECT_EQ(versionAt(url), "1.0.0\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  // A new deployment of A's local environment through B: refused, saying where.
  std::string out;
  auto withStderr = asAdmin;
  const fs::path err = b.home() / "deploy-refused.err";
  withStderr["RAMP_TEST_STDERR"] = err.string();
  EXPECT_NE(b.run({"deploy", "crawler", "--env", "int", "--version", "2.0.0"}, &out, withStderr), 0) << out;
  const std::string refused = slurp(err);
  EXPECT_NE(refused.find(a.home().string()), std::string::npos) << refused;
  EXPECT_NE(refused.find("does not act"), std::string::npos) << refused;

  // `ramp down --env int` through B leaves A's fleets running, none retired.
  out.clear();
  EXPECT_EQ(b.run({"down", "--env", "int"}, &out, asAdmin), 0) << out;
  EXPECT_NE(out.find("left running"), std::string::npos) << out;
  EXPECT_EQ(versionAt(url), "1.0.0\n");
  sb = statusOf(b, a.token());
  ASSERT_TRUE(sb.contains("fleets")) << sb.dump();
  int live = 0;
  for (const auto& f : sb["fleets"]) {
    EXPECT_NE(f.value("state", ""), "retired") << sb.dump();
    if (f.value("weight", 0) == 100) ++live;
  }
  EXPECT_EQ(live, 1) << sb.dump();
  EXPECT_FALSE(fs::exists(b.home() / "router" / "admin.json"));

  // A leads again: it deploys on the same entry point.
  kill(pb, SIGTERM);
  ASSERT_TRUE(waitChild(pb, std::chrono::seconds(20)));
  running.clear();
  pa = startServe(serveArgs(a), a.home() / "serve-a2.log");
  running.push_back(pa);
  ASSERT_TRUE(a.waitController(pa, std::chrono::seconds(20))) << slurp(a.home() / "serve-a2.log");
  until = SteadyClock::now() + std::chrono::seconds(15);
  while (!leads(a) && SteadyClock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(leads(a)) << slurp(a.home() / "serve-a2.log");
  ASSERT_EQ(a.run({"deploy", "crawler", "--env", "int", "--version", "2.0.0"}), 0) << slurp(a.home() / "serve-a2.log");
  EXPECT_EQ(statusOf(a, a.token()).value("entrypoint", ""), url);
  EXPECT_EQ(versionAt(url), "2.0.0\n");

  bool stopped = false;
  EXPECT_EQ(downAndReap(a, {pa}, &stopped), 0);
  EXPECT_TRUE(stopped);
  done = true;
}
