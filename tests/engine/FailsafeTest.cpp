// The engine's side of failing safe (issue #16), against the fakes on a
// manual clock (the fake data plane keeps weight leases as the local router
// does; tests/e2e/FailsafeE2ETest.cpp proves the same with real processes):
//   - a canary split names its stable fleet and holds a lease the engine
//     renews every third of it;
//   - a lease that ran out while the controller was away is never put back
//     by a reconcile; the deployment rolls back (default) or, with
//     on_lease_expiry: resume, puts the weight back and runs the step again;
//   - the data plane's counters restarting mid-analysis (a new epoch, or
//     counters that go down without one) are measured through: nothing
//     measured is lost, nothing goes backwards, a bad canary still fails;
//   - a judge that cannot read the counters says so and still ends the step
//     at its deadline.
#include <filesystem>

#include <gtest/gtest.h>

#include "EngineWorld.h"
#include "core/Clock.h"
#include "engine/CounterSnapshot.h"
#include "engine/CounterWindow.h"
#include "engine/Engine.h"
#include "store/Store.h"

using namespace ramp;
using namespace std::chrono_literals;
using nlohmann::json;
using ramp::engine::Phase;

namespace {

json canaryRendered(const std::string& lease = "3s", const std::string& onExpiry = "") {
  json r{{"service", "crawler"},
         {"env", "int"},
         {"region", "local"},
         {"run", {{"command", "bin/crawler"}, {"args", json::array()}, {"env", json::object()}}},
         {"health", {{"path", "/healthz"}, {"interval", "100ms"}, {"timeout", "500ms"}}},
         {"instances", 1},
         {"strategy",
          {{"type", "canary"},
           {"bake", "0s"},
           {"deadline", "10s"},
           {"weight_lease", lease},
           {"steps", json::array({{{"weight", 10}}, {{"analysis", {{"duration", "20s"}, {"interval", "1s"}}}}})}}},
         {"analysis", {{"max_false_rollback", 0.01}, {"min_requests", 100}, {"on_inconclusive", "pause"}}}};
  if (!onExpiry.empty()) r["strategy"]["on_lease_expiry"] = onExpiry;
  return r;
}

class FailsafeTest : public fakes::EngineWorld {
 protected:
  void SetUp() override {
    traffic.clock = &clock;
    traffic.journal = &journal;
    EngineWorld::SetUp();
  }
  // Stable 1.0.0 live, then the canary's analysis step running.
  engine::Deployment canaryInAnalysis(json rendered) {
    auto first = engine->submit(request("1.0.0", canaryRendered()));
    EXPECT_TRUE(first.has_value());
    stable = tickUntil(first->id, [](auto& d) { return d.state == "succeeded"; }).newFleet;
    auto d = engine->submit(request("2.0.0", std::move(rendered)));
    EXPECT_TRUE(d.has_value()) << d.error().describe();
    auto a = tickUntil(d->id, [](auto& x) { return x.phase == Phase::kCanaryAnalysis; });
    EXPECT_EQ(a.phase, Phase::kCanaryAnalysis) << a.reason;
    return a;
  }
  providers::EntrypointKey key() const { return {"crawler", "int", "local"}; }
  static json errorStats(const engine::Deployment& d) {
    for (auto& m : d.verdicts.back()["metrics"]) {
      if (m.value("name", "") == "error_rate") return m["stats"];
    }
    return json();
  }

  std::vector<std::string> journal;
  std::string stable;
};

TEST_F(FailsafeTest, ACanarySplitNamesItsStableFleetAndItsLeaseIsRenewedEveryThirdOfIt) {
  auto d = canaryInAnalysis(canaryRendered("3s"));
  const auto& split = traffic.applied[key()];
  EXPECT_EQ(split.stable, stable);
  EXPECT_EQ(split.leaseMs, 3000);
  ASSERT_TRUE(split.lease.has_value());
  int before = traffic.renewals;
  for (int i = 0; i < 90; ++i) {  // 9 s of a controller that ticks every 100 ms
    ASSERT_TRUE(engine->tick().has_value());
    clock.advance(100ms);
  }
  int renewed = traffic.renewals - before;
  EXPECT_GE(renewed, 7) << "every ~1 s (a third of 3 s)";
  EXPECT_LE(renewed, 10) << "not on every tick";
  EXPECT_EQ(traffic.expirations, 0);
  EXPECT_EQ(engine->get(d.id)->phase, Phase::kCanaryAnalysis);
}

TEST_F(FailsafeTest, RenewLeasesKeepsTheLeaseWhileNoTickRuns) {
  // The controller's own thread renews while a tick is busy elsewhere (a
  // smoke test of another service): no tick for 9 s, the lease holds.
  auto d = canaryInAnalysis(canaryRendered("3s"));
  int before = traffic.renewals;
  for (int i = 0; i < 90; ++i) {
    ASSERT_TRUE(engine->renewLeases().has_value());
    clock.advance(100ms);
  }
  EXPECT_EQ(traffic.expirations, 0);
  EXPECT_GE(traffic.renewals - before, 8) << "every third of the lease";
  EXPECT_LE(traffic.renewals - before, 10);
  // Once it ran out (the controller gone), renewing never brings it back.
  clock.advance(3500ms);
  ASSERT_TRUE(engine->renewLeases().has_value());
  EXPECT_EQ(traffic.expirations, 1);
  EXPECT_EQ(traffic.weightOf("crawler", d.newFleet), 0);
}

TEST_F(FailsafeTest, ALeaseThatRanOutIsNeverPutBackAndTheCanaryIsRolledBack) {
  auto d = canaryInAnalysis(canaryRendered("3s"));
  // The controller is away (no tick) longer than the lease.
  clock.advance(3500ms);
  ASSERT_TRUE(traffic.appliedTraffic(key()).has_value());
  ASSERT_EQ(traffic.expirations, 1);
  EXPECT_EQ(traffic.weightOf("crawler", d.newFleet), 0) << "the data plane took the canary's weight";
  size_t expiredAt = journal.size();
  auto r = tickUntil(d.id, [](auto& x) { return x.state == "rolled_back" && x.phase == Phase::kDone; });
  EXPECT_EQ(r.state, "rolled_back") << r.reason;
  EXPECT_NE(r.reason.find("weight lease (3000 ms) ran out"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find(stable), std::string::npos) << r.reason;
  for (size_t i = expiredAt; i < journal.size(); ++i) {
    EXPECT_EQ(journal[i].find(d.newFleet + "=10"), std::string::npos) << "the canary's weight was put back: "
                                                                        << journal[i];
  }
  EXPECT_EQ(traffic.weightOf("crawler", stable), 100);
  EXPECT_FALSE(fleets.alive(d.newFleet));
  auto rb = events(d.id, "deployment.phase");
  ASSERT_FALSE(rb.empty());
  bool named = false;
  for (auto& e : rb) named = named || e.data.contains("lease");
  EXPECT_TRUE(named) << "the rollback's event carries the lease";
}

TEST_F(FailsafeTest, OnLeaseExpiryResumePutsTheWeightBackAndRunsTheStepAgain) {
  auto d = canaryInAnalysis(canaryRendered("3s", "resume"));
  int64_t firstDeadline = d.analysis.deadlineAt;
  clock.advance(3500ms);
  ASSERT_TRUE(engine->tick().has_value());
  ASSERT_EQ(traffic.expirations, 1);
  auto r = tickUntil(d.id, [](auto& x) { return x.phase == Phase::kCanaryAnalysis; });
  EXPECT_EQ(r.state, "running") << r.reason;
  EXPECT_EQ(r.phase, Phase::kCanaryAnalysis);
  EXPECT_EQ(r.step, 2) << "the same step again";
  EXPECT_GT(r.analysis.deadlineAt, firstDeadline) << "a new window and deadline";
  EXPECT_EQ(traffic.weightOf("crawler", d.newFleet), 10) << "the canary's weight is back";
  ASSERT_TRUE(traffic.applied[key()].lease.has_value());
  EXPECT_EQ(traffic.applied[key()].lease->state, "held");
  EXPECT_EQ(events(d.id, "traffic.lease_resumed").size(), 1u);
  EXPECT_NE(r.reason.find("starts again"), std::string::npos) << r.reason;
}

TEST_F(FailsafeTest, CountersThatRestartMidAnalysisAreMeasuredThroughAndABadCanaryStillFails) {
  auto d = canaryInAnalysis(canaryRendered("10s"));
  for (auto& [id, m] : metrics.fleets) m.countersEpoch = "router1-" + id;
  // 30 canary requests (3 failed) and 270 stable ones, seen by a look.
  metrics.serve(stable, 270, 0);
  metrics.serve(d.newFleet, 30, 3);
  clock.advance(1100ms);
  ASSERT_TRUE(engine->tick().has_value());
  ASSERT_EQ(engine->get(d.id)->phase, Phase::kCanaryAnalysis);
  // The router restarts: counters from zero in a new epoch, and on.
  metrics.restart("router2");
  uint64_t canaryAfter = 0, canaryErrorsAfter = 0;
  engine::Deployment r;
  for (int i = 0; i < 200; ++i) {
    metrics.serve(stable, 27, 0);
    metrics.serve(d.newFleet, 3, i % 10 == 0 ? 1 : 0);
    canaryAfter += 3;
    canaryErrorsAfter += i % 10 == 0 ? 1 : 0;
    ASSERT_TRUE(engine->tick().has_value());
    r = *engine->get(d.id);
    if (r.phase != Phase::kCanaryAnalysis) break;
    EXPECT_EQ(r.reason.find("cannot look"), std::string::npos) << r.reason;
    clock.advance(100ms);
  }
  r = tickUntil(d.id, [](auto& x) { return x.phase == Phase::kDone; });
  EXPECT_EQ(r.state, "rolled_back") << r.reason;
  EXPECT_NE(r.reason.find("failed analysis"), std::string::npos) << r.reason;
  auto stats = errorStats(r);
  // Every request measured before the restart is still counted (the ones
  // since the last look before it would be lost; the test looked first).
  EXPECT_EQ(stats["canary"].value("requests", uint64_t{0}), 30 + canaryAfter) << stats.dump();
  EXPECT_EQ(stats["canary"].value("errors", uint64_t{0}), 3 + canaryErrorsAfter) << stats.dump();
  auto restarts = events(d.id, "analysis.restart");
  ASSERT_EQ(restarts.size(), 1u);
  EXPECT_EQ(restarts[0].data["canary"].value("carried_requests", 0), 30) << restarts[0].data.dump();
  EXPECT_EQ(restarts[0].data["canary"].value("to_epoch", ""), "router2-" + d.newFleet);
}

TEST_F(FailsafeTest, AJudgeThatCannotReadTheCountersSaysSoAndStillEndsTheStepAtItsDeadline) {
  auto d = canaryInAnalysis(canaryRendered("10s"));
  metrics.error = unavailable("router unreachable", "127.0.0.1:1").error();
  auto blind = tickUntil(d.id, [](auto& x) { return !x.reason.empty(); }, 30);
  EXPECT_EQ(blind.phase, Phase::kCanaryAnalysis);
  EXPECT_NE(blind.reason.find("cannot look"), std::string::npos) << blind.reason;
  EXPECT_NE(blind.reason.find("router unreachable"), std::string::npos) << blind.reason;
  EXPECT_EQ(events(d.id, "analysis.blind").size(), 1u) << "recorded once, not per look";
  auto r = tickUntil(d.id, [](auto& x) { return x.phase != Phase::kCanaryAnalysis; }, 250);
  EXPECT_EQ(r.state, "paused") << r.reason;
  EXPECT_EQ(r.phase, Phase::kCanaryPause);
  EXPECT_NE(r.reason.find("inconclusive"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("no verdict by the step's deadline"), std::string::npos) << r.reason;
  EXPECT_LE(toUnixMillis(clock.now()), d.analysis.deadlineAt + 200) << "at the deadline";
}

// ---- CounterWindow on its own ----

json snap(uint64_t requests, uint64_t errors, const std::string& epoch, std::vector<uint64_t> counts = {0, 0}) {
  json j{{"requests", requests}, {"errors", errors}, {"bounds", json::array({10, "+Inf"})}, {"counts", counts}};
  if (!epoch.empty()) j["epoch"] = epoch;
  return j;
}

TEST(CounterWindow, ANewEpochCarriesWhatWasMeasuredAndNeverGoesBackwards) {
  auto w = engine::CounterWindow::startAt(snap(100, 1, "a-1", {90, 10}));
  ASSERT_TRUE(w.has_value());
  auto l1 = w->look(snap(150, 3, "a-1", {130, 20}));
  ASSERT_TRUE(l1.has_value());
  EXPECT_EQ(l1->measurements.errors["error_rate"].requests, 50u);
  EXPECT_FALSE(l1->restarted);
  auto l2 = w->look(snap(20, 1, "b-1", {15, 5}));  // restarted: 20 since
  ASSERT_TRUE(l2.has_value()) << l2.error().describe();
  EXPECT_TRUE(l2->restarted);
  EXPECT_EQ(l2->measurements.errors["error_rate"].requests, 70u);
  EXPECT_EQ(l2->measurements.errors["error_rate"].errors, 3u);
  EXPECT_EQ(l2->measurements.latency["latency"].counts, (std::vector<uint64_t>{55, 15}));
  // Stored and read back (a controller restart in between).
  auto again = engine::CounterWindow::fromJson(w->toJson());
  ASSERT_TRUE(again.has_value());
  auto l3 = again->look(snap(30, 1, "b-1", {25, 5}));
  ASSERT_TRUE(l3.has_value());
  EXPECT_FALSE(l3->restarted);
  EXPECT_EQ(l3->measurements.errors["error_rate"].requests, 80u);
  EXPECT_EQ(again->restarts(), 1);
}

TEST(CounterWindow, WithoutEpochsCountersThatGoDownAreARestart) {
  auto w = engine::CounterWindow::fromJson(snap(100, 0, ""));  // an old record's start snapshot
  ASSERT_TRUE(w.has_value());
  ASSERT_TRUE(w->look(snap(160, 0, "")).has_value());
  auto l = w->look(snap(5, 0, ""));
  ASSERT_TRUE(l.has_value());
  EXPECT_TRUE(l->restarted);
  EXPECT_EQ(l->measurements.errors["error_rate"].requests, 65u);
}

TEST(CounterWindow, CountersGoingDownUnderTheSameEpochAreAnErrorNotARestart) {
  auto w = engine::CounterWindow::startAt(snap(100, 0, "a-1"));
  ASSERT_TRUE(w.has_value());
  auto l = w->look(snap(90, 0, "a-1"));
  ASSERT_FALSE(l.has_value());
  EXPECT_NE(l.error().message.find("same epoch a-1"), std::string::npos) << l.error().describe();
}

TEST(CounterWindow, ChangedHistogramBoundsDropTheLatencyBeforeButKeepTheErrors) {
  auto w = engine::CounterWindow::startAt(snap(0, 0, "a-1"));
  ASSERT_TRUE(w->look(snap(10, 1, "a-1", {8, 2})).has_value());
  json other{{"requests", 4}, {"errors", 0}, {"bounds", json::array({5, 50, "+Inf"})}, {"counts", {1, 2, 1}},
             {"epoch", "b-1"}};
  auto l = w->look(other);
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->measurements.errors["error_rate"].requests, 14u);
  EXPECT_EQ(l->measurements.errors["error_rate"].errors, 1u);
  EXPECT_EQ(l->measurements.latency["latency"].counts, (std::vector<uint64_t>{1, 2, 1}));
  EXPECT_TRUE(l->restart.value("latency_dropped", false));
}

}  // namespace

// A blue/green bake's baseline (the previous fleet over a bake before the
// switch) is measured through a router restart inside that window: the
// samples taken before the switch are looked at through a CounterWindow, so
// the judge is not left with only what was counted since the restart (a
// "low traffic" baseline; found by the chaos soak, where a healthy release
// was rolled back on "0/459 vs baseline 0/9").
TEST_F(FailsafeTest, ABakeBaselineIsMeasuredThroughARouterRestartBeforeTheSwitch) {
  json bg = canaryRendered();
  bg["strategy"] = {{"type", "bluegreen"}, {"bake", "8s"}, {"deadline", "60s"}};
  bg["analysis"] = {{"max_false_rollback", 0.01},
                    {"min_requests", 10},
                    {"error_rate_objective", 0.05},
                    {"on_inconclusive", "rollback"},
                    {"metrics", json::array({{{"name", "error_rate"}, {"kind", "error_rate"}, {"critical", true}}})}};
  auto first = engine->submit(request("1.0.0", bg));
  ASSERT_TRUE(first.has_value()) << first.error().describe();
  stable = tickUntil(first->id, [](auto& d) { return d.state == "succeeded"; }).newFleet;
  ASSERT_FALSE(stable.empty());
  fleets.healthyOnCreate = false;  // the new fleet waits in wait_healthy while blue is sampled
  auto d = engine->submit(request("2.0.0", bg));
  ASSERT_TRUE(d.has_value()) << d.error().describe();
  auto w = tickUntil(d->id, [](auto& x) { return x.phase == Phase::kWaitHealthy; });
  ASSERT_EQ(w.phase, Phase::kWaitHealthy) << w.reason;
  metrics.serve(stable, 0, 0);
  for (auto& [id, m] : metrics.fleets) m.countersEpoch = "router1-" + id;
  // Blue serves 300 requests over 3 s, sampled by the ticks...
  for (int i = 0; i < 30; ++i) {
    metrics.serve(stable, 10, 0);
    ASSERT_TRUE(engine->tick().has_value());
    clock.advance(100ms);
  }
  // ...then the router restarts (counters from zero, a new epoch) and blue
  // serves 10 more, sampled after the restart.
  metrics.restart("router2");
  for (int i = 0; i < 2; ++i) {
    metrics.serve(stable, 5, 0);
    ASSERT_TRUE(engine->tick().has_value());
    clock.advance(1100ms);
  }
  fleets.healthy[w.newFleet] = true;
  auto b = tickUntil(d->id, [](auto& x) { return x.phase == Phase::kBake || x.phase == Phase::kDone; });
  ASSERT_EQ(b.phase, Phase::kBake) << b.reason;
  auto window = events(d->id, "bake.window");
  ASSERT_EQ(window.size(), 1u);
  // What blue served in the window is measured across the restart: the 300
  // before it, less what came between the last sample and the restart (at
  // most one sampling interval, 1 s = 100 requests: CounterWindow.h), plus
  // the 10 after it. Without the window it was the 10 since the restart.
  EXPECT_GE(window[0].data.value("baseline_requests", uint64_t{0}), 210u) << window[0].data.dump();
  EXPECT_EQ(window[0].data.value("baseline_restarts", 0), 1) << window[0].data.dump();
}

TEST_F(FailsafeTest, AnEntryPointRowChangedBehindTheEnginesBackIsSeenWithinTheRefresh) {
  // The engine works from its entry point rows in memory for its term
  // (Entrypoints.h: the sweep, every look and the lease keeper read no row
  // from the store); a row written outside it (by hand, outside the fence)
  // is read again within the refresh (30 s): the URL `status` shows, and a
  // new entry point in the sweep's list.
  auto first = engine->submit(request("1.0.0", canaryRendered()));
  ASSERT_TRUE(first.has_value()) << first.error().describe();
  ASSERT_EQ(tickUntil(first->id, [](auto& d) { return d.state == "succeeded"; }).state, "succeeded");
  auto urlShown = [&]() -> std::string {
    auto s = engine->status(std::string("crawler"), std::string("int"));
    EXPECT_TRUE(s.has_value() && s->size() == 1u);
    return s && s->size() == 1u && (*s)[0].entrypoint ? *(*s)[0].entrypoint : "";
  };
  const std::string before = urlShown();
  ASSERT_FALSE(before.empty());
  ASSERT_TRUE(st->putEntrypointUrl({"crawler", "int", "local"}, "http://by-hand.example:1", std::nullopt).has_value());
  ASSERT_TRUE(st->putEntrypointUrl({"other", "int", "local"}, "http://other.example:1", std::nullopt).has_value());
  auto listsOther = [&] {
    for (const auto& k : engine->entrypoints()) {
      if (k.service == "other") return true;
    }
    return false;
  };
  bool seen = false;
  for (int i = 0; i < 320 && !seen; ++i) {  // 32 s of ticks
    ASSERT_TRUE(engine->tick().has_value());
    seen = urlShown() == "http://by-hand.example:1" && listsOther();
    clock.advance(100ms);
  }
  EXPECT_TRUE(seen) << "not read again within 32 s";
}
