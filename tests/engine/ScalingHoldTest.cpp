// Autoscaled fleets in the engine, against the fakes on a manual clock: a
// new fleet starts at the capacity the current fleet has at that moment and
// carries the scaling block; both fleets are held before traffic moves and
// released once the switch (or the rollback) is verified; fixed-size fleets
// are never held.
#include "engine/Engine.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "EngineWorld.h"
#include "core/Clock.h"
#include "store/Store.h"

using namespace ramp;
using namespace std::chrono_literals;
using nlohmann::json;
using ramp::engine::Phase;

namespace {

json rendered(bool scaling, const std::string& strategy = "bluegreen") {
  json r = {{"service", "crawler"},
            {"env", "int"},
            {"region", "local"},
            {"run", {{"command", "bin/crawler"}, {"args", json::array()}, {"env", json::object()}}},
            {"health", {{"path", "/healthz"}, {"interval", "100ms"}, {"timeout", "500ms"}}},
            {"instances", 2},
            {"strategy", {{"type", "bluegreen"}, {"bake", "0s"}, {"deadline", "10s"}}}};
  if (strategy == "canary") {
    // A weight step, then a pause until resumed (the test aborts there).
    r["strategy"] = {{"type", "canary"}, {"bake", "0s"}, {"deadline", "10s"},
                     {"steps", json::array({{{"weight", 10}}, {{"pause", nullptr}}})}};
  }
  if (scaling) r["scaling"] = {{"min", 1}, {"max", 6}, {"target_cpu", 50}};
  return r;
}

class ScalingHoldTest : public fakes::EngineWorld {
 protected:
  void SetUp() override {
    EngineWorld::SetUp();
    fleets.journal = &journal;
    traffic.journal = &journal;
  }
  long at(const std::string& entry) const {
    auto it = std::find(journal.begin(), journal.end(), entry);
    return it == journal.end() ? -1 : it - journal.begin();
  }
  // First traffic change that gives `fleet` the weight `w`.
  long trafficAt(const std::string& fleet, int w) const {
    for (size_t i = 0; i < journal.size(); ++i) {
      if (journal[i].starts_with("traffic:") && journal[i].find(fleet + "=" + std::to_string(w) + ",") != std::string::npos) {
        return static_cast<long>(i);
      }
    }
    return -1;
  }
  std::string dump() const {
    std::string out;
    for (auto& e : journal) out += e + "\n";
    return out;
  }

  std::vector<std::string> journal;
};

}  // namespace

TEST_F(ScalingHoldTest, NewFleetStartsAtCurrentCapacityAndBothAreHeldAcrossTheSwitch) {
  auto first = run(engine->submit(request("1.0.0", rendered(true)))->id);
  ASSERT_EQ(first.state, "succeeded") << first.reason;
  EXPECT_EQ(fleets.fleets[first.newFleet].instances, 2) << "a first fleet starts at `instances`";
  ASSERT_TRUE(fleets.fleets[first.newFleet].scaling.has_value());
  EXPECT_EQ(*fleets.fleets[first.newFleet].scaling, (providers::ScalingSpec{1, 6, "cpu", 50}));

  fleets.scaledTo[first.newFleet] = 5;  // its policy scaled it out meanwhile
  journal.clear();
  auto second = engine->submit(request("2.0.0", rendered(true)));
  ASSERT_TRUE(second.has_value()) << second.error().describe();
  auto d = run(second->id);
  ASSERT_EQ(d.state, "succeeded") << d.reason;
  EXPECT_EQ(fleets.fleets[d.newFleet].instances, 5) << "starts at the current fleet's capacity";

  long holdNew = at("hold:" + d.newFleet), holdOld = at("hold:" + first.newFleet);
  long switched = trafficAt(d.newFleet, 100);
  long releaseNew = at("release:" + d.newFleet), releaseOld = at("release:" + first.newFleet);
  ASSERT_GE(holdNew, 0) << dump();
  ASSERT_GE(holdOld, 0) << dump();
  ASSERT_GE(switched, 0) << dump();
  EXPECT_LT(holdNew, switched) << dump();
  EXPECT_LT(holdOld, switched) << dump();
  EXPECT_GT(releaseNew, switched) << dump();
  EXPECT_GT(releaseOld, switched) << dump();
  EXPECT_TRUE(fleets.held.empty()) << "nothing stays held after the deployment";
}

TEST_F(ScalingHoldTest, TheCapacityIsClampedToTheConfiguredRange) {
  auto first = run(engine->submit(request("1.0.0", rendered(true)))->id);
  fleets.scaledTo[first.newFleet] = 9;  // above max 6 (e.g. max lowered in config)
  auto d = run(engine->submit(request("2.0.0", rendered(true)))->id);
  ASSERT_EQ(d.state, "succeeded") << d.reason;
  EXPECT_EQ(fleets.fleets[d.newFleet].instances, 6);
}

TEST_F(ScalingHoldTest, FixedSizeFleetsAreNeverHeldAndKeepTheirSize) {
  auto first = run(engine->submit(request("1.0.0", rendered(false)))->id);
  fleets.scaledTo[first.newFleet] = 5;
  auto d = run(engine->submit(request("2.0.0", rendered(false)))->id);
  ASSERT_EQ(d.state, "succeeded") << d.reason;
  EXPECT_EQ(fleets.fleets[d.newFleet].instances, 2);
  EXPECT_FALSE(fleets.fleets[d.newFleet].scaling.has_value());
  for (auto& e : journal) EXPECT_FALSE(e.starts_with("hold:") || e.starts_with("release:")) << e;
}

TEST_F(ScalingHoldTest, ACanaryHoldsBeforeItsFirstStepAndAnAbortReleasesAfterTrafficIsBack) {
  auto stable = run(engine->submit(request("1.0.0", rendered(true)))->id);
  journal.clear();
  auto d = engine->submit(request("2.0.0", rendered(true, "canary")));
  ASSERT_TRUE(d.has_value()) << d.error().describe();
  auto r = run(d->id, 10);
  EXPECT_EQ(r.phase, Phase::kCanaryPause) << r.reason;
  long holdNew = at("hold:" + r.newFleet), holdOld = at("hold:" + stable.newFleet);
  long step = trafficAt(r.newFleet, 10);
  ASSERT_GE(step, 0) << dump();
  ASSERT_GE(holdNew, 0) << dump();
  ASSERT_GE(holdOld, 0) << dump();
  EXPECT_LT(holdNew, step) << dump();
  EXPECT_LT(holdOld, step) << dump();
  EXPECT_TRUE(fleets.held.contains(stable.newFleet)) << "held while the canary takes traffic";
  EXPECT_EQ(at("release:" + r.newFleet), -1) << dump();

  ASSERT_TRUE(engine->control("crawler", "int", "abort", "frank").has_value());
  r = run(r.id, 10);
  EXPECT_EQ(r.state, "aborted") << r.reason;
  long back = trafficAt(r.newFleet, 0);
  long releaseOld = at("release:" + stable.newFleet);
  ASSERT_GE(back, 0) << dump();
  EXPECT_GT(releaseOld, back) << dump();
  EXPECT_TRUE(fleets.held.empty()) << dump();
}
