// Deployments advance side by side (EngineOptions::workers, Strands.h): one
// deployment held in its smoke test (a command that waits until the test
// lets it go) delays neither another service's deployment nor the people's
// calls; an abort asked for meanwhile wins over the phase in progress (its
// commit is refused as stale and it is not redone), and the held
// deployment's own order is kept. Without workers (the old single ticking
// thread) the other deployment cannot move while the first is held: these
// tests then time out on their bounded waits.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "EngineWorld.h"
#include "core/Clock.h"
#include "engine/Engine.h"
#include "store/Store.h"

using namespace ramp;
using namespace std::chrono_literals;
using nlohmann::json;
using ramp::engine::Phase;

namespace {

json rendered(const std::string& service, bool smokeTest) {
  json strategy{{"type", "bluegreen"}, {"bake", "0s"}, {"deadline", "10s"}};
  if (smokeTest) strategy["smoke_test"] = "held by the test";
  return {{"service", service},
          {"env", "int"},
          {"region", "local"},
          {"run", {{"command", "bin/crawler"}, {"args", json::array()}, {"env", json::object()}}},
          {"health", {{"path", "/healthz"}, {"interval", "100ms"}, {"timeout", "500ms"}}},
          {"instances", 1},
          {"strategy", strategy}};
}

// A smoke test that runs until the test releases it (bounded: 20 s).
class HeldCommand {
 public:
  Result<int> run() {
    std::unique_lock lock(mu_);
    ++started_;
    cv_.notify_all();
    bool released = cv_.wait_for(lock, 20s, [this] { return released_; });
    return released ? 0 : 124;
  }
  void release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  bool waitStarted() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 10s, [this] { return started_ > 0; });
  }
  int started() {
    std::lock_guard lock(mu_);
    return started_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  int started_ = 0;
};

class SideBySide : public fakes::EngineWorld {
 protected:
  void SetUp() override {
    options.workers = 4;
    options.runCommand = [this](const std::string&, const std::map<std::string, std::string>&,
                                std::chrono::milliseconds) { return held.run(); };
    EngineWorld::SetUp();
  }
  void TearDown() override {
    held.release();
    if (engine) engine->stop();
  }
  // `service` 1.0.0 to int; its smoke test held by the test when asked.
  static engine::DeployRequest request(const std::string& service, bool smokeTest) {
    auto q = EngineWorld::request("1.0.0", rendered(service, smokeTest));
    q.service = service;
    return q;
  }
  // Ticks (real time: the workers run meanwhile) until `done` holds, at most 10 s.
  bool tickUntil(const std::function<bool()>& done) {
    auto end = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < end) {
      (void)engine->tick();
      if (done()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
  engine::Deployment get(const std::string& id) {
    auto d = engine->get(id);
    EXPECT_TRUE(d.has_value());
    return d ? *d : engine::Deployment{};
  }

  HeldCommand held;
};

TEST_F(SideBySide, OneHeldSmokeTestDelaysNoOtherDeployment) {
  auto a = engine->submit(request("alpha", true));
  ASSERT_TRUE(a.has_value()) << a.error().describe();
  ASSERT_TRUE(tickUntil([&] { return held.started() > 0; })) << "alpha never reached its smoke test";
  EXPECT_EQ(get(a->id).phase, Phase::kSmokeTest);

  // While alpha is held: another service deploys to the end, and the
  // people's calls answer.
  auto b = engine->submit(request("beta", false));
  ASSERT_TRUE(b.has_value()) << b.error().describe();
  ASSERT_TRUE(tickUntil([&] { return get(b->id).phase == Phase::kDone; }))
      << "beta did not finish while alpha was held: " << engine::phaseName(get(b->id).phase);
  EXPECT_EQ(get(b->id).state, "succeeded");
  EXPECT_EQ(traffic.weightOf("beta", get(b->id).newFleet), 100);
  EXPECT_EQ(get(a->id).phase, Phase::kSmokeTest) << "alpha is still held";
  auto list = engine->list(std::nullopt, std::nullopt, 10);
  ASSERT_TRUE(list.has_value());
  EXPECT_EQ(list->size(), 2u);

  // Released, alpha carries on in its own order.
  held.release();
  ASSERT_TRUE(tickUntil([&] { return get(a->id).phase == Phase::kDone; })) << engine::phaseName(get(a->id).phase);
  EXPECT_EQ(get(a->id).state, "succeeded");
  EXPECT_EQ(held.started(), 1) << "the smoke test ran once";
}

TEST_F(SideBySide, AnAbortDuringAHeldPhaseAnswersAtOnceAndWins) {
  auto a = engine->submit(request("alpha", true));
  ASSERT_TRUE(a.has_value()) << a.error().describe();
  ASSERT_TRUE(tickUntil([&] { return held.started() > 0; }));

  auto t0 = std::chrono::steady_clock::now();
  auto aborted = engine->control("alpha", "int", "abort", "bob");
  ASSERT_TRUE(aborted.has_value()) << aborted.error().describe();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s) << "the abort waited for the held phase";
  EXPECT_EQ(aborted->phase, Phase::kFailCleanup);

  // The held phase ends; its move (to switch) is refused as stale, and the
  // abort's cleanup runs: traffic never moved, the fleet is retired.
  held.release();
  ASSERT_TRUE(tickUntil([&] { return get(a->id).phase == Phase::kDone; })) << engine::phaseName(get(a->id).phase);
  auto d = get(a->id);
  EXPECT_EQ(d.state, "aborted") << d.reason;
  EXPECT_FALSE(fleets.alive(d.newFleet));
  EXPECT_EQ(traffic.weightOf("alpha", d.newFleet), -1);
  store::AuditFilter f;
  f.deploymentId = a->id;
  auto events = st->listEvents(f);
  ASSERT_TRUE(events.has_value());
  for (const auto& e : *events) {
    EXPECT_FALSE(e.kind == "deployment.phase" && e.data.value("phase", "") == "switch")
        << "the held phase's move was recorded after the abort";
  }
}

TEST_F(SideBySide, ManyServicesAtOnceWithPeoplesCallsMeanwhile) {
  // Six services deploy 1.0.0 then 2.0.0 side by side on four workers while
  // the test thread pauses, resumes and rolls back some of them and reads
  // status meanwhile: every deployment ends where the people's calls asked
  // (also run under -fsanitize=thread: src/engine/README.md).
  const std::vector<std::string> services{"s0", "s1", "s2", "s3", "s4", "s5"};
  std::map<std::string, std::string> first;
  for (const auto& s : services) {
    auto d = engine->submit(request(s, false));
    ASSERT_TRUE(d.has_value()) << d.error().describe();
    first[s] = d->id;
  }
  ASSERT_TRUE(tickUntil([&] {
    for (auto& [s, id] : first) {
      if (get(id).phase != Phase::kDone) return false;
    }
    return true;
  }));
  clock.advance(1s);  // 2.0.0 is newer than 1.0.0 (the clock stands still otherwise)
  std::map<std::string, std::string> second;
  for (const auto& s : services) {
    // s0 is held in its smoke test: it cannot switch before it is paused.
    auto q = request(s, s == "s0");
    q.version = "2.0.0";
    q.rendered["strategy"]["bake"] = "1h";  // stays in bake: a rollback takes the warm 1.0.0 fleet
    auto d = engine->submit(q);
    ASSERT_TRUE(d.has_value()) << d.error().describe();
    second[s] = d->id;
  }
  // People's calls while the workers run the others: s0 paused (and stays
  // so), s1 paused and resumed once the workers have started; s2 rolled
  // back in its bake.
  // (A new deployment's first job is posted by submit itself, so s0 may
  // have moved before the pause lands, up to its held smoke test: it must
  // stay where it was paused.)
  auto pausedS0 = engine->control("s0", "int", "pause", "bob");
  ASSERT_TRUE(pausedS0.has_value()) << pausedS0.error().describe();
  ASSERT_TRUE(engine->control("s1", "int", "pause", "bob").has_value());
  (void)engine->tick();
  ASSERT_TRUE(engine->control("s1", "int", "resume", "bob").has_value());
  ASSERT_TRUE(tickUntil([&] {
    auto st = engine->status(std::nullopt, std::nullopt);
    if (!st) return false;
    for (const auto& s : {"s1", "s2", "s3", "s4", "s5"}) {
      if (get(second[s]).phase != Phase::kBake) return false;
    }
    return true;
  })) << "every deployment not paused reaches its bake";
  auto back = engine->rollback("s2", "int", "carol");
  ASSERT_TRUE(back.has_value()) << back.error().describe();
  ASSERT_TRUE(tickUntil([&] { return get(second["s2"]).phase == Phase::kDone; }))
      << engine::phaseName(get(second["s2"]).phase) << ": " << get(second["s2"]).reason;
  EXPECT_EQ(get(second["s2"]).state, "rolled_back");
  EXPECT_EQ(traffic.weightOf("s2", get(first["s2"]).newFleet), 100) << "the rollback went back to 1.0.0";
  EXPECT_EQ(get(second["s0"]).state, "paused");
  EXPECT_EQ(get(second["s0"]).phase, pausedS0->phase) << "a paused deployment does not move";
  for (const auto& s : {"s1", "s3", "s4", "s5"}) {
    auto d = get(second[s]);
    EXPECT_EQ(d.state, "succeeded") << s << ": " << d.reason;
    EXPECT_EQ(traffic.weightOf(s, d.newFleet), 100) << s;
  }
}

}  // namespace
