// Regions in waves (src/engine/WavePhases.cpp) against the engine's fakes, the
// real SQLite store and a manual clock: one deployment goes region by
// region with the same strategy; a rollback in one region stops the waves,
// later regions are never touched; a restarted engine resumes between and
// inside waves; bad wave lists are refused naming the field, recording
// nothing.
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <set>

#include <fmt/format.h>
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

const std::vector<std::string> kRegions{"us-east-1", "eu-west-1", "ap-southeast-1"};

json renderedFor(const std::string& region, int regions = 3, const std::string& bake = "2s") {
  json all = json::array();
  for (int i = 0; i < regions; ++i) all.push_back(kRegions[static_cast<size_t>(i)]);
  return {{"service", "crawler"},
          {"env", "prod"},
          {"region", region},
          {"environment", {{"provider", "local"}, {"regions", all}}},
          {"run", {{"command", "bin/crawler"}, {"args", json::array()}, {"env", json::object()}}},
          {"health", {{"path", "/healthz"}, {"interval", "100ms"}, {"timeout", "500ms"}}},
          {"instances", 2},
          {"strategy", {{"type", "bluegreen"}, {"bake", bake}, {"deadline", "10s"}}}};
}

json canaryFor(const std::string& region, int regions = 3) {
  json r = renderedFor(region, regions, "0s");
  r["instances"] = 1;
  r["strategy"] = {{"type", "canary"},
                   {"bake", "0s"},
                   {"deadline", "10s"},
                   {"steps", json::array({{{"weight", 10}},
                                          {{"analysis", {{"duration", "120s"}, {"interval", "1s"}}}},
                                          {{"weight", 50}}})}};
  r["analysis"] = {{"max_false_rollback", 0.01}, {"min_requests", 100}, {"on_inconclusive", "pause"}};
  return r;
}

class WavesTest : public fakes::EngineWorld {
 protected:
  // alice deploys crawler `version` to prod, region by region (the first
  // `regions` of kRegions).
  static engine::DeployRequest request(const std::string& version, int regions = 3, bool canary = false) {
    auto q = EngineWorld::request(version, nullptr);
    q.env = "prod";
    q.configDigest = "sha256:first";
    for (int i = 0; i < regions; ++i) {
      const auto& r = kRegions[static_cast<size_t>(i)];
      q.waves.push_back({r, canary ? canaryFor(r, regions) : renderedFor(r, regions), "sha256:" + r});
    }
    q.rendered = q.waves.front().rendered;
    return q;
  }
  // Ticks until the deployment is done (the clock 100 ms on after each), at
  // most `ticks`; the deployment then.
  engine::Deployment run(const std::string& id, int ticks = 200) {
    engine::Deployment d;
    for (int i = 0; i < ticks; ++i) {
      auto t = engine->tick();
      EXPECT_TRUE(t.has_value()) << t.error().describe();
      clock.advance(100ms);
      d = *engine->get(id);
      if (d.phase == Phase::kDone) break;
    }
    return d;
  }
  // Weight of `fleet` at the entry point of `region` (-1: not in its split).
  int weightIn(const std::string& region, const std::string& fleet) {
    auto it = traffic.applied.find(providers::EntrypointKey{"crawler", "prod", region});
    if (it == traffic.applied.end()) return -1;
    for (auto& f : it->second.fleets) {
      if (f.fleetId == fleet) return f.weight;
    }
    return -1;
  }
  // Fleets ever created in `region`.
  std::vector<std::string> fleetsIn(const std::string& region) {
    std::vector<std::string> out;
    for (auto& [id, spec] : fleets.fleets) {
      if (spec.region == region) out.push_back(id);
    }
    return out;
  }
};

// DNS drain (engine/RegionDrain.cpp, issue #21): a wave's region is out of
// DNS from its start to its verified switch and back in after (the bake
// runs on real traffic); never two regions at once; the start waits until
// the drain is in effect; none is left drained at the end. With bake 0s a
// region's wave ends and the next one starts within one tick.
TEST_F(WavesTest, EachRegionIsDrainedWhileItsWaveChangesItAndPutBackAfter) {
  for (const std::string bake : {"2s", "0s"}) {
    SCOPED_TRACE("bake " + bake);
    traffic.drainLag = 0;
    traffic.maxDrainedAtOnce = 0;
    engine::DeployRequest q = request(bake == "2s" ? "1.0.0" : "3.0.0", 2);
    for (auto& w : q.waves) w.rendered["strategy"]["bake"] = bake;
    q.rendered = q.waves.front().rendered;
    auto first = engine->submit(q);
    ASSERT_TRUE(first.has_value()) << first.error().describe();
    ASSERT_EQ(run(first->id).state, "succeeded");
    traffic.drainLag = 2;
    q = request(bake == "2s" ? "2.0.0" : "4.0.0", 2);
    for (auto& w : q.waves) w.rendered["strategy"]["bake"] = bake;
    q.rendered = q.waves.front().rendered;
    auto sub = engine->submit(q);
    ASSERT_TRUE(sub.has_value()) << sub.error().describe();
    const std::vector<std::string> regions{"us-east-1", "eu-west-1"};
    std::map<std::string, std::set<Phase>> drainedIn, openIn;
    std::set<std::string> everDrained;
    engine::Deployment d;
    for (int i = 0; i < 300; ++i) {
      ASSERT_TRUE(engine->tick().has_value());
      clock.advance(100ms);
      d = *engine->get(sub->id);
      int now = 0;
      for (const auto& region : regions) {
        const bool dr = traffic.isDrained({"crawler", "prod", region});
        now += dr ? 1 : 0;
        if (dr) everDrained.insert(region);
        if (d.region == region && d.active()) {
          (dr ? drainedIn : openIn)[region].insert(d.phase);
        } else {
          EXPECT_FALSE(dr) << region << " out of DNS while the deployment is in " << d.region << ", phase "
                           << engine::phaseName(d.phase);
        }
      }
      EXPECT_LE(now, 1) << "two regions out of DNS at once";
      if (d.phase == Phase::kDone) break;
    }
    ASSERT_EQ(d.state, "succeeded") << d.reason;
    // Also within a tick: the next wave's region leaves DNS only once the
    // previous one is back (seen end to end on moto: with bake 0s the next
    // region was drained before the first was restored, both at weight 0).
    EXPECT_LE(traffic.maxDrainedAtOnce, 1) << "two regions out of DNS at once, within a tick";
    EXPECT_EQ(everDrained, (std::set<std::string>(regions.begin(), regions.end())));
    for (const auto& region : regions) {
      EXPECT_FALSE(traffic.isDrained({"crawler", "prod", region})) << region << " left out of DNS";
      for (Phase p : {Phase::kCreateFleet, Phase::kWaitHealthy, Phase::kSwitch, Phase::kVerifySwitch}) {
        EXPECT_FALSE(openIn[region].contains(p)) << region << " in DNS during " << engine::phaseName(p);
      }
      if (bake == "2s") {
        EXPECT_TRUE(openIn[region].contains(Phase::kBake)) << region << ": the bake runs on real traffic";
      }
    }
    // The drain took 2 reads to be in effect: the first region's start waited.
    EXPECT_TRUE(drainedIn["us-east-1"].contains(Phase::kStart));
  }
}

TEST_F(WavesTest, TwoRegionBlueGreenGoesRegionByRegionAndSucceedsOnce) {
  auto first = run(engine->submit(request("1.0.0", 2))->id);
  ASSERT_EQ(first.state, "succeeded") << first.reason;
  ASSERT_EQ(first.waves.size(), 2u);
  std::string blueUs = first.waves[0].newFleet;
  std::string blueEu = first.waves[1].newFleet;
  EXPECT_NE(blueUs, blueEu);
  EXPECT_NE(blueUs.find("us-east-1"), std::string::npos) << "fleet names carry the region: " << blueUs;
  EXPECT_EQ(weightIn("us-east-1", blueUs), 100);
  EXPECT_EQ(weightIn("eu-west-1", blueEu), 100);

  auto sub = engine->submit(request("2.0.0", 2));
  ASSERT_TRUE(sub.has_value()) << sub.error().describe();
  EXPECT_EQ(sub->region, "us-east-1");
  // Region 1 switches, then bakes: the deployment is still running and
  // region 2 has not been touched.
  engine::Deployment d;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(engine->tick().has_value());
    clock.advance(100ms);
    d = *engine->get(sub->id);
  }
  EXPECT_EQ(d.phase, Phase::kBake);
  EXPECT_EQ(d.state, "running") << "a region that is not the last never makes the deployment succeeded";
  EXPECT_EQ(d.region, "us-east-1");
  EXPECT_EQ(weightIn("us-east-1", d.newFleet), 100);
  EXPECT_EQ(weightIn("eu-west-1", blueEu), 100);
  EXPECT_EQ(fleetsIn("eu-west-1").size(), 1u) << "no 2.0.0 fleet in eu-west-1 yet";
  EXPECT_TRUE(events(sub->id, "deployment.finished").empty());

  auto r = run(sub->id, 300);
  EXPECT_EQ(r.state, "succeeded") << r.reason;
  EXPECT_EQ(r.phase, Phase::kDone);
  EXPECT_EQ(r.region, "eu-west-1");
  ASSERT_EQ(r.waves.size(), 2u);
  EXPECT_EQ(r.waves[0].state, "succeeded");
  EXPECT_EQ(r.waves[1].state, "succeeded");
  std::string greenUs = r.waves[0].newFleet;
  std::string greenEu = r.waves[1].newFleet;
  EXPECT_EQ(weightIn("us-east-1", greenUs), 100);
  EXPECT_EQ(weightIn("eu-west-1", greenEu), 100);
  EXPECT_FALSE(fleets.alive(blueUs));
  EXPECT_FALSE(fleets.alive(blueEu));
  EXPECT_EQ(r.waves[1].oldVersion, "1.0.0");

  // One deployment.finished (succeeded), after the wave events in order.
  auto kinds = kindsOf(r.id);
  std::vector<std::string> milestones;
  for (auto& k : kinds) {
    if (k == "deployment.wave_succeeded" || k == "deployment.wave_started" || k == "deployment.finished") {
      milestones.push_back(k);
    }
  }
  EXPECT_EQ(milestones, (std::vector<std::string>{"deployment.wave_succeeded", "deployment.wave_started",
                                                  "deployment.finished"}));
  auto ws = events(r.id, "deployment.wave_succeeded");
  ASSERT_EQ(ws.size(), 1u);
  EXPECT_EQ(ws[0].data.value("region", ""), "us-east-1");
  auto started = events(r.id, "deployment.wave_started");
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(started[0].data.value("region", ""), "eu-west-1");
  auto fin = events(r.id, "deployment.finished");
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(fin[0].data.value("state", ""), "succeeded");

  // Status shows the waves and each region's weights.
  auto status = engine->status("crawler", "prod");
  ASSERT_TRUE(status.has_value());
  const auto& s = (*status)[0];
  auto waves = s.deployment.wavesView();
  ASSERT_EQ(waves.size(), 2u);
  EXPECT_EQ(waves[0]["state"], "succeeded");
  EXPECT_FALSE(waves[0].contains("rendered"));
  for (auto& f : s.fleets) {
    if (f.record.id == greenUs || f.record.id == greenEu) {
      EXPECT_EQ(f.weight, 100) << f.record.id;
      EXPECT_EQ(f.role, "stable") << f.record.id;
    }
  }
}

class WavesCanaryTest : public WavesTest {
 protected:
  // Ticks while the current region serves: per 100 ms its stable fleet
  // gets 180 requests at 1% errors and its canary 20 at errRate(region).
  engine::Deployment serve(const std::string& id, int ticks, const std::function<double(const std::string&)>& errRate) {
    engine::Deployment d = *engine->get(id);
    double acc = 0, baseAcc = 0;
    for (int i = 0; i < ticks; ++i) {
      if (!d.oldFleet.empty()) {
        baseAcc += 180 * 0.01;
        auto be = static_cast<uint64_t>(baseAcc);
        baseAcc -= be;
        metrics.serve(d.oldFleet, 180, be);
      }
      acc += 20 * errRate(d.region);
      auto ce = static_cast<uint64_t>(acc);
      acc -= ce;
      metrics.serve(d.newFleet, 20, ce);
      EXPECT_TRUE(engine->tick().has_value());
      clock.advance(100ms);
      d = *engine->get(id);
      if (d.phase == Phase::kDone || d.state == "paused") break;
    }
    return d;
  }
};

TEST_F(WavesCanaryTest, AFailingJudgeInRegionTwoRollsBackThereAndStopsTheWaves) {
  auto first = run(engine->submit(request("1.0.0", 3))->id);
  ASSERT_EQ(first.state, "succeeded") << first.reason;
  std::string stableEu = first.waves[1].newFleet;
  std::string stableAp = first.waves[2].newFleet;
  size_t apFleets = fleetsIn("ap-southeast-1").size();

  auto sub = engine->submit(request("2.0.0", 3, /*canary=*/true));
  ASSERT_TRUE(sub.has_value()) << sub.error().describe();
  EXPECT_EQ(sub->strategy, "canary");
  auto r = serve(sub->id, 6000, [](const std::string& region) { return region == "eu-west-1" ? 0.10 : 0.01; });
  r = run(r.id, 20);
  EXPECT_EQ(r.state, "rolled_back") << r.reason;
  EXPECT_EQ(r.region, "eu-west-1");
  EXPECT_NE(r.reason.find("rolled back in eu-west-1: canary failed analysis"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("waves stopped: ap-southeast-1 not started"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("us-east-1 keeps 2.0.0"), std::string::npos) << r.reason;
  ASSERT_EQ(r.waves.size(), 3u);
  EXPECT_EQ(r.waves[0].state, "succeeded");
  EXPECT_EQ(r.waves[1].state, "rolled_back");
  EXPECT_EQ(r.waves[2].state, "not_started");
  // Region 1 keeps the new release; region 2 is back on its stable fleet;
  // region 3 was never touched.
  std::string canaryUs = r.waves[0].newFleet;
  EXPECT_EQ(weightIn("us-east-1", canaryUs), 100);
  EXPECT_TRUE(fleets.alive(canaryUs));
  EXPECT_EQ(weightIn("eu-west-1", stableEu), 100);
  EXPECT_FALSE(fleets.alive(r.newFleet));
  EXPECT_EQ(fleetsIn("ap-southeast-1").size(), apFleets) << "no fleet was created in ap-southeast-1";
  EXPECT_EQ(weightIn("ap-southeast-1", stableAp), 100);
  EXPECT_TRUE(fleets.alive(stableAp));
  auto fin = events(r.id, "deployment.finished");
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(fin[0].data.value("state", ""), "rolled_back");
  EXPECT_EQ(events(r.id, "deployment.wave_started").size(), 1u);

  // `ramp rollback` then takes back the region that kept 2.0.0, and only it.
  size_t euFleets = fleetsIn("eu-west-1").size();
  auto rb = engine->rollback("crawler", "prod", "carol");
  ASSERT_TRUE(rb.has_value()) << rb.error().describe();
  EXPECT_EQ(rb->kind, "rollback");
  EXPECT_EQ(rb->version, "1.0.0");
  ASSERT_EQ(rb->waves.size(), 1u);
  EXPECT_EQ(rb->waves[0].region, "us-east-1");
  auto back = run(rb->id, 300);
  EXPECT_EQ(back.state, "rolled_back") << back.reason;
  EXPECT_EQ(weightIn("us-east-1", back.newFleet), 100);
  EXPECT_EQ(weightIn("us-east-1", canaryUs), -1);
  EXPECT_FALSE(fleets.alive(canaryUs));
  EXPECT_EQ(fleetsIn("eu-west-1").size(), euFleets) << "eu-west-1 was back on 1.0.0 already";
  EXPECT_EQ(weightIn("eu-west-1", stableEu), 100);
  auto again = engine->rollback("crawler", "prod", "carol");
  EXPECT_FALSE(again.has_value()) << "nothing left to roll back";
}

TEST_F(WavesCanaryTest, WithRollbackAllRegionsTheRegionsBeforeAreRolledBackByThemselves) {
  auto first = run(engine->submit(request("1.0.0", 3))->id);
  ASSERT_EQ(first.state, "succeeded") << first.reason;
  std::string stableEu = first.waves[1].newFleet;
  size_t apFleets = fleetsIn("ap-southeast-1").size();
  auto q = request("2.0.0", 3, /*canary=*/true);
  q.rollbackAllRegions = true;
  auto sub = engine->submit(q);
  ASSERT_TRUE(sub.has_value()) << sub.error().describe();
  auto r = serve(sub->id, 6000, [](const std::string& region) { return region == "eu-west-1" ? 0.10 : 0.01; });
  r = run(r.id, 20);
  EXPECT_EQ(r.state, "rolled_back") << r.reason;
  EXPECT_NE(r.reason.find("rolled back in eu-west-1"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("rolling back us-east-1 too (d-"), std::string::npos) << r.reason;
  std::string canaryUs = r.waves[0].newFleet;
  // The rollback of us-east-1: a deployment of 1.0.0 there alone, by itself.
  auto all = engine->list("crawler", "prod", 10);
  ASSERT_TRUE(all.has_value());
  const engine::Deployment* rb = nullptr;
  for (auto& x : *all) {
    if (x.kind == "rollback" && x.rollsBack == r.id) rb = &x;
  }
  ASSERT_NE(rb, nullptr) << "a rollback deployment was started";
  EXPECT_EQ(rb->createdBy, "ramp (rollback_all_regions)");
  ASSERT_EQ(rb->waves.size(), 1u);
  EXPECT_EQ(rb->waves[0].region, "us-east-1");
  auto back = run(rb->id, 300);
  EXPECT_EQ(back.state, "rolled_back") << back.reason;
  EXPECT_EQ(back.version, "1.0.0");
  EXPECT_EQ(weightIn("us-east-1", back.newFleet), 100);
  EXPECT_FALSE(fleets.alive(canaryUs));
  EXPECT_EQ(weightIn("eu-west-1", stableEu), 100);
  EXPECT_EQ(fleetsIn("ap-southeast-1").size(), apFleets) << "ap-southeast-1 never touched";
  // Found, not repeated: one rollback deployment however many ticks.
  run(rb->id, 20);
  int rollbacks = 0;
  auto later = engine->list("crawler", "prod", 20);
  ASSERT_TRUE(later.has_value());
  for (auto& x : *later) rollbacks += x.kind == "rollback" ? 1 : 0;
  EXPECT_EQ(rollbacks, 1);
}

TEST_F(WavesTest, RollbackAllRegionsNeedsWaves) {
  auto q = request("2.0.0", 2);
  q.rollbackAllRegions = true;
  q.waves.clear();
  auto r = engine->submit(q);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().where, "rollback_all_regions");
}

TEST_F(WavesTest, AFreshEngineEveryTickResumesBetweenAndInsideWaves) {
  ASSERT_EQ(run(engine->submit(request("1.0.0", 3))->id).state, "succeeded");
  auto sub = engine->submit(request("2.0.0", 3));
  ASSERT_TRUE(sub.has_value()) << sub.error().describe();
  engine::Deployment d;
  std::set<std::string> seenPhases;
  for (int i = 0; i < 600; ++i) {
    engine = makeEngine();  // a restarted controller: nothing kept in memory
    ASSERT_TRUE(engine->tick().has_value());
    clock.advance(100ms);
    d = *engine->get(sub->id);
    seenPhases.insert(d.region + ":" + std::string(engine::phaseName(d.phase)));
    if (d.phase == Phase::kDone) break;
  }
  EXPECT_EQ(d.state, "succeeded") << d.reason;
  EXPECT_TRUE(seenPhases.contains("us-east-1:bake")) << "restarted during a region's bake";
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(d.waves[i].state, "succeeded") << i;
    EXPECT_EQ(weightIn(kRegions[i], d.waves[i].newFleet), 100) << kRegions[i];
  }
  EXPECT_EQ(events(d.id, "deployment.wave_succeeded").size(), 2u);
  EXPECT_EQ(events(d.id, "deployment.wave_started").size(), 2u);
  EXPECT_EQ(events(d.id, "deployment.finished").size(), 1u);
  // Exactly one new fleet per region: no wave was started twice.
  for (const auto& region : kRegions) EXPECT_EQ(fleetsIn(region).size(), 2u) << region;
}

TEST_F(WavesTest, AControllerStoppedAtWaveDoneStartsTheNextRegionOnceAfterRestart) {
  ASSERT_EQ(run(engine->submit(request("1.0.0", 2))->id).state, "succeeded");
  auto sub = engine->submit(request("2.0.0", 2));
  ASSERT_TRUE(sub.has_value());
  // This controller stops acting the moment wave_done is committed (as if
  // it died right after that commit).
  std::string id = sub->id;
  options.mayAct = [&]() -> Status {
    auto rec = st->getDeployment(id);
    if (rec && rec->doc.value("phase", "") == "wave_done") return conflict("stopped at wave_done", "test");
    return ok();
  };
  engine = makeEngine();
  engine::Deployment d;
  for (int i = 0; i < 200; ++i) {
    (void)engine->tick();
    clock.advance(100ms);
    d = *engine->get(id);
    if (d.phase == Phase::kWaveDone) break;
  }
  ASSERT_EQ(d.phase, Phase::kWaveDone);
  EXPECT_EQ(d.region, "us-east-1");
  EXPECT_EQ(d.state, "running");
  EXPECT_EQ(d.waves[0].state, "succeeded");
  EXPECT_EQ(d.waves[1].state, "pending");
  EXPECT_EQ(fleetsIn("eu-west-1").size(), 1u);
  options.mayAct = nullptr;
  engine = makeEngine();
  auto r = run(id, 300);
  EXPECT_EQ(r.state, "succeeded") << r.reason;
  EXPECT_EQ(events(id, "deployment.wave_succeeded").size(), 1u);
  EXPECT_EQ(events(id, "deployment.wave_started").size(), 1u);
  EXPECT_EQ(fleetsIn("eu-west-1").size(), 2u);
}

TEST_F(WavesTest, AnUnhealthyFleetInRegionTwoFailsThereAndTheFirstKeepsTheRelease) {
  ASSERT_EQ(run(engine->submit(request("1.0.0", 3))->id).state, "succeeded");
  auto sub = engine->submit(request("2.0.0", 3));
  ASSERT_TRUE(sub.has_value());
  engine::Deployment d;
  for (int i = 0; i < 400; ++i) {
    ASSERT_TRUE(engine->tick().has_value());
    clock.advance(100ms);
    d = *engine->get(sub->id);
    // Region 1's fleet is healthy; every fleet created after it (region 2's) never gets healthy.
    if (d.phase == Phase::kBake) fleets.healthyOnCreate = false;
    if (d.phase == Phase::kDone) break;
  }
  EXPECT_EQ(d.state, "failed") << d.reason;
  EXPECT_NE(d.reason.find("failed in eu-west-1: fleet"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("ap-southeast-1 not started"), std::string::npos) << d.reason;
  EXPECT_EQ(d.waves[0].state, "succeeded");
  EXPECT_EQ(d.waves[1].state, "failed");
  EXPECT_EQ(d.waves[2].state, "not_started");
  EXPECT_EQ(fleetsIn("ap-southeast-1").size(), 1u);
}

TEST_F(WavesTest, AbortInRegionTwoSwitchesItBackAndStopsTheWaves) {
  ASSERT_EQ(run(engine->submit(request("1.0.0", 3))->id).state, "succeeded");
  auto sub = engine->submit(request("2.0.0", 3));
  ASSERT_TRUE(sub.has_value());
  engine::Deployment d;
  for (int i = 0; i < 400; ++i) {
    ASSERT_TRUE(engine->tick().has_value());
    clock.advance(100ms);
    d = *engine->get(sub->id);
    if (d.region == "eu-west-1" && d.phase == Phase::kBake) break;
  }
  ASSERT_EQ(d.phase, Phase::kBake);
  ASSERT_EQ(d.state, "running");
  std::string blueEu = d.oldFleet;
  auto a = engine->control("crawler", "prod", "abort", "bob");
  ASSERT_TRUE(a.has_value()) << a.error().describe();
  auto r = run(d.id, 100);
  EXPECT_EQ(r.state, "aborted") << r.reason;
  EXPECT_NE(r.reason.find("aborted in eu-west-1: aborted by bob"), std::string::npos) << r.reason;
  EXPECT_EQ(weightIn("eu-west-1", blueEu), 100) << "the aborted region is back on its previous fleet";
  EXPECT_EQ(weightIn("us-east-1", r.waves[0].newFleet), 100);
  EXPECT_EQ(r.waves[1].state, "aborted");
  EXPECT_EQ(r.waves[2].state, "not_started");
}

TEST_F(WavesTest, PauseAndResumeActOnTheCurrentRegion) {
  ASSERT_EQ(run(engine->submit(request("1.0.0", 2))->id).state, "succeeded");
  auto sub = engine->submit(request("2.0.0", 2));
  ASSERT_TRUE(sub.has_value());
  ASSERT_TRUE(engine->tick().has_value());
  ASSERT_TRUE(engine->control("crawler", "prod", "pause", "bob").has_value());
  auto paused = run(sub->id, 100);
  EXPECT_EQ(paused.state, "paused");
  EXPECT_EQ(paused.region, "us-east-1");
  EXPECT_EQ(fleetsIn("eu-west-1").size(), 1u);
  ASSERT_TRUE(engine->control("crawler", "prod", "resume", "bob").has_value());
  auto r = run(sub->id, 300);
  EXPECT_EQ(r.state, "succeeded") << r.reason;
}

TEST_F(WavesTest, BadWaveListsAreRefusedNamingTheFieldAndRecordNothing) {
  auto expectInvalid = [&](engine::DeployRequest q, const std::string& where, const std::string& words) {
    auto r = engine->submit(q);
    ASSERT_FALSE(r.has_value()) << where;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalid) << r.error().describe();
    EXPECT_EQ(r.error().where, where) << r.error().describe();
    EXPECT_NE(r.error().message.find(words), std::string::npos) << r.error().describe();
  };
  auto q = request("2.0.0", 2);
  q.waves[1].region = "mars-1";
  q.waves[1].rendered["region"] = "mars-1";
  expectInvalid(q, "waves[1].region", "has no region 'mars-1'");

  q = request("2.0.0", 2);
  q.waves[1] = q.waves[0];
  expectInvalid(q, "waves[1].region", "listed twice");

  q = request("2.0.0", 2);
  q.waves[0].region = "";
  expectInvalid(q, "waves[0].region", "must name a region");

  q = request("2.0.0", 2);
  q.waves[1].rendered = renderedFor("us-east-1", 2);
  expectInvalid(q, "waves[1].rendered.region", "rendered for region us-east-1, not eu-west-1");

  q = request("2.0.0", 2);
  q.waves[1].rendered.erase("run");
  expectInvalid(q, "waves[1].rendered.run.command", "run.command is required");

  q = request("2.0.0", 2);
  q.region = "eu-west-1";
  expectInvalid(q, "region", "first wave is us-east-1");

  q = request("2.0.0", 2);
  q.waves[0].configDigest.clear();
  expectInvalid(q, "waves[0].config_digest", "is required");

  auto all = engine->list("crawler", std::nullopt, 100);
  ASSERT_TRUE(all.has_value());
  EXPECT_TRUE(all->empty()) << "nothing recorded";
  EXPECT_TRUE(fleets.fleets.empty());
}

TEST_F(WavesTest, ARecordWithoutWavesStillLoadsAsOneRegion) {
  json doc = {{"region", "local"}, {"phase", "done"}, {"version", "1.0.0"}};
  auto d = engine::Deployment::fromRecord("d-old", "crawler", "int", "succeeded", 1, doc);
  ASSERT_TRUE(d.has_value()) << d.error().describe();
  EXPECT_FALSE(d->hasWaves());
  EXPECT_TRUE(d->lastWave());
  EXPECT_TRUE(d->wavesView().empty());
  // And a record with waves round-trips.
  auto q = request("2.0.0", 2);
  auto sub = engine->submit(q);
  ASSERT_TRUE(sub.has_value());
  auto back = engine->get(sub->id);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->waves.size(), 2u);
  EXPECT_EQ(back->wave, 0);
  EXPECT_EQ(back->waves[1].configDigest, "sha256:eu-west-1");
  EXPECT_EQ(back->configDigest, "sha256:us-east-1");
}

TEST_F(WavesTest, ManualRollbackAfterEveryRegionSucceededRedeploysThePreviousReleaseEverywhere) {
  ASSERT_EQ(run(engine->submit(request("1.0.0", 2))->id).state, "succeeded");
  auto second = run(engine->submit(request("2.0.0", 2))->id, 400);
  ASSERT_EQ(second.state, "succeeded") << second.reason;
  auto rb = engine->rollback("crawler", "prod", "carol");
  ASSERT_TRUE(rb.has_value()) << rb.error().describe();
  EXPECT_EQ(rb->kind, "rollback");
  EXPECT_EQ(rb->waves.size(), 2u);
  auto r = run(rb->id, 400);
  EXPECT_EQ(r.state, "rolled_back") << r.reason;
  EXPECT_EQ(weightIn("us-east-1", r.waves[0].newFleet), 100);
  EXPECT_EQ(weightIn("eu-west-1", r.waves[1].newFleet), 100);
  auto orig = engine->get(second.id);
  EXPECT_EQ(orig->state, "rolled_back");
}

TEST_F(WavesTest, AnAutoPromotionIntoAStageWithSeveralRegionsGoesRegionByRegion) {
  // int (one region, auto_promote) -> prod (two regions, carried under "waves").
  json intRendered = renderedFor("local", 0);
  intRendered["env"] = "int";
  intRendered["environment"] = {{"provider", "local"}, {"regions", {"local"}}, {"auto_promote", true}, {"soak", "0s"}};
  json prodStage = renderedFor("us-east-1", 2);
  prodStage["config_digest"] = "sha256:prod-us";
  prodStage["waves"] = json::array({{{"region", "us-east-1"}, {"rendered", renderedFor("us-east-1", 2)},
                                     {"config_digest", "sha256:prod-us"}},
                                    {{"region", "eu-west-1"}, {"rendered", renderedFor("eu-west-1", 2)},
                                     {"config_digest", "sha256:prod-eu"}}});
  engine::DeployRequest q;
  q.service = "crawler";
  q.env = "int";
  q.version = "1.0.0";
  q.rendered = intRendered;
  q.configDigest = "sha256:int";
  q.actor = "alice";
  q.pipeline = {"int", "prod"};
  q.laterStages = {{"prod", prodStage}};
  auto d = engine->submit(q);
  ASSERT_TRUE(d.has_value()) << d.error().describe();
  ASSERT_EQ(run(d->id).state, "succeeded");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(engine->tick().has_value());
    clock.advance(100ms);
  }
  auto prod = engine->list("crawler", "prod", 10);
  ASSERT_TRUE(prod.has_value());
  ASSERT_EQ(prod->size(), 1u);
  auto p = (*prod)[0];
  EXPECT_EQ(p.promotedFrom, "int");
  ASSERT_EQ(p.waves.size(), 2u);
  EXPECT_FALSE(p.rendered.contains("waves"));
  auto r = run(p.id, 300);
  EXPECT_EQ(r.state, "succeeded") << r.reason;
  EXPECT_EQ(r.waves[0].state, "succeeded");
  EXPECT_EQ(r.waves[1].state, "succeeded");
  EXPECT_EQ(weightIn("eu-west-1", r.waves[1].newFleet), 100);
}

}  // namespace
