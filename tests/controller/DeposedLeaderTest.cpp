// A deposed leader must not act again (issue: durable controller, HA).
//
// Two `ramp serve` share one PostgreSQL. The leader A freezes itself
// (RAMP_FAILPOINT=switch:before:stop → SIGSTOP) with the `switch` phase of a
// deployment committed and its side effect not yet done — as a long GC
// pause, swap storm or stalled VM would freeze it. B takes the expired lease
// (A's process is alive, so only the TTL lets it), finishes that deployment
// and then deploys the next release, which retires A's fleet. Then A is
// continued, in the middle of its tick, about to point the entry point at a
// fleet that no longer exists. Every one of its writes carries epoch 1: the
// store refuses them (fenced settings and deployment records), the router
// would refuse its epoch, and A stops without touching anything — no failed
// request under load, B's state intact, controller.json still B's.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "../store/PgTestDatabase.h"
#include "ControllerWorld.h"

using namespace ctl;

namespace {

bool waitFor(const std::function<bool()>& cond, std::chrono::milliseconds limit) {
  auto deadline = SteadyClock::now() + limit;
  while (SteadyClock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

}  // namespace

TEST(DeposedLeader, FrozenLeaderNeverActsAfterTakeover) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  auto db = ramp::store::test::PgTestDatabase::create();
  ASSERT_TRUE(db) << db.error().describe();
  World w("deposed");
  ASSERT_TRUE(w.createReleases());
  const std::vector<std::string> serveArgs{"serve", "--home", w.home().string(), "--store", db->url(),
                                           "--lease-ttl", "3s"};
  pid_t a = startServe(serveArgs, w.home() / "serve-a.log", {{"RAMP_FAILPOINT", "switch:before:stop"}});
  ASSERT_TRUE(w.waitController(a, std::chrono::seconds(20))) << slurp(w.home() / "serve-a.log");
  pid_t b = startServe(serveArgs, w.home() / "serve-b.log");
  ASSERT_TRUE(waitFor([&] { return slurp(w.home() / "serve-b.log").find("follow") != std::string::npos; },
                      std::chrono::seconds(20)))
      << slurp(w.home() / "serve-b.log");

  struct Cleanup {
    World& w;
    pid_t a, b;
    ~Cleanup() {
      kill(a, SIGCONT);
      bool stopped = false;
      (void)downAndReap(w, {b, a}, &stopped);
      EXPECT_TRUE(stopped) << "a controller did not stop after `ramp down`";
    }
  } cleanup{w, a, b};

  ASSERT_TRUE(w.pushConfig());
  // v1: A commits `switch` and freezes before pointing traffic at the fleet.
  std::string out;
  ASSERT_EQ(w.run({"deploy", "crawler", "--env", "int", "--version", "1.0.0", "--detach"}, &out), 0) << out;
  std::string first = out.substr(0, out.find('\n'));
  ASSERT_TRUE(waitFor([&] { return slurp(w.home() / "serve-a.log").find("SIGSTOP") != std::string::npos; },
                      std::chrono::seconds(30)))
      << slurp(w.home() / "serve-a.log");
  auto frozenAt = SteadyClock::now();

  // B takes the lease once it expires (TTL 3 s), and leads.
  ASSERT_TRUE(waitFor(
      [&] {
        auto j = w.controllerJson();
        return j.is_object() && j.value("pid", 0) == b && j.value("role", "") == "leader";
      },
      std::chrono::seconds(3 + 10)))
      << slurp(w.home() / "serve-b.log");
  std::cout << fmt::format("B led {:.2f} s after A froze\n",
                           std::chrono::duration<double>(SteadyClock::now() - frozenAt).count());
  json d;
  ASSERT_TRUE(waitFor(
      [&] {
        d = w.api("GET", "/api/v1/deployments/" + first).parsed();
        return d.is_object() && d.value("phase", "") == "done";
      },
      std::chrono::seconds(60)))
      << d.dump() << slurp(w.home() / "serve-b.log");
  ASSERT_EQ(d.value("state", ""), "succeeded") << d.dump();

  // v2 through B: v1's fleet (the one A is about to switch to) is retired.
  out.clear();
  ASSERT_EQ(w.run({"deploy", "crawler", "--env", "int", "--version", "2.0.0"}, &out), 0)
      << out << slurp(w.home() / "serve-b.log");
  // `deploy` returns at success; wait until B has also baked and retired
  // v1's fleet (phase done), so that B writes nothing more from here on.
  out.clear();
  ASSERT_EQ(w.run({"status", "crawler", "--env", "int", "--json"}, &out), 0) << out;
  std::string second = json::parse(out, nullptr, false)["deployment"].value("id", "");
  ASSERT_TRUE(waitFor(
      [&] {
        d = w.api("GET", "/api/v1/deployments/" + second).parsed();
        return d.is_object() && d.value("phase", "") == "done";
      },
      std::chrono::seconds(60)))
      << d.dump();
  out.clear();
  ASSERT_EQ(w.run({"status", "crawler", "--env", "int", "--json"}, &out), 0) << out;
  auto statusBefore = json::parse(out, nullptr, false);
  std::string url = statusBefore.value("entrypoint", "");
  ASSERT_FALSE(url.empty()) << out;
  auto eventsBefore = w.api("GET", "/api/v1/events").parsed();
  ASSERT_TRUE(eventsBefore.is_array());

  Load load(url);
  load.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // A wakes up inside its tick, at epoch 1, about to run `switch` for v1.
  ASSERT_EQ(kill(a, SIGCONT), 0);
  auto st = waitChild(a, std::chrono::seconds(15));
  std::string alog = slurp(w.home() / "serve-a.log");
  ASSERT_TRUE(st) << "the deposed leader kept running:\n" << alog;
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 1) << alog;
  EXPECT_NE(alog.find("lost the controller lease"), std::string::npos) << alog;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  load.stop();

  EXPECT_EQ(load.failed(), 0u) << load.firstFailure();
  EXPECT_GT(load.total(), 20u);
  // B still leads, from the same address file.
  auto j = w.controllerJson();
  EXPECT_TRUE(j.is_object() && j.value("pid", 0) == b) << j.dump();
  // Nothing was written by A: no new events, same status (v2 alone serving).
  auto eventsAfter = w.api("GET", "/api/v1/events").parsed();
  ASSERT_TRUE(eventsAfter.is_array());
  EXPECT_EQ(eventsAfter.size(), eventsBefore.size()) << eventsAfter.back().dump();
  out.clear();
  ASSERT_EQ(w.run({"status", "crawler", "--env", "int", "--json"}, &out), 0) << out;
  auto statusAfter = json::parse(out, nullptr, false);
  int serving = 0;
  for (auto& f : statusAfter["fleets"]) {
    if (f.value("weight", 0) > 0) {
      ++serving;
      EXPECT_EQ(f.value("version", ""), "2.0.0") << statusAfter.dump();
    }
  }
  EXPECT_EQ(serving, 1) << statusAfter.dump();
  out.clear();
  EXPECT_EQ(w.run({"audit", "verify"}, &out), 0) << out;
  std::cout << fmt::format("{} requests while the deposed leader woke up, {} failed\n", load.total(), load.failed());
}
