// A store write whose answer is lost (the connection broke during COMMIT:
// the engine cannot know whether it was made) never leads the engine astray.
//
// The engine holds copies of what it wrote for its term (DeploymentLedger,
// Entrypoints) and drops a copy when its write fails; every write still
// names the revision it read. This test loses, one run at a time, the
// answer of every write a deployment makes — made-then-lost and
// never-made — for blue/green and for a canary, succeeding and failing,
// and holds each run to what the same deployment does with nothing lost:
//   - it ends in the same state and phase, with the same weights and the
//     same fleets alive (succeeded: all traffic on the new fleet, the old
//     one retired and out of the split; failed: the new one retired, the
//     old one keeping every request);
//   - it asks for no fleet the clean run does not (a phase run again asks
//     for its own fleet again, which converges), and the store's record is
//     the one the engine reports;
//   - the audit record tells the same story: the same events in the same
//     order, apart from the `deployment.retrying` a failed write adds (a
//     lost write is retried, never recorded twice nor skipped).
#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "EngineWorld.h"
#include "LostAnswerStore.h"
#include "engine/Engine.h"
#include "store/Store.h"

using namespace ramp;
using namespace std::chrono_literals;
using nlohmann::json;
using Loss = fakes::LostAnswerStore::Loss;

namespace {

json rendered(const std::string& strategy) {
  json s{{"type", strategy}, {"bake", "0s"}, {"deadline", "10s"}, {"drain", "0s"}};
  if (strategy == "canary") s["steps"] = json::array({{{"weight", 20}}, {{"weight", 50}}});
  return fakes::renderedWith(s);
}

// What one run ended with.
struct Outcome {
  std::string state, phase, reason;
  int newWeight = -2, oldWeight = -2;
  bool oldAlive = true, newAlive = false;
  size_t fleetsAskedFor = 0;       // distinct fleet ids ever created
  std::vector<std::string> kinds;  // the deployment's audit events, oldest first
  int writes = 0;                  // writes the lossy store saw
  std::string lost;                // which write was lost ("" if none)
  bool recordMatches = false;      // the store's record is the engine's
};

// One world per run: stable 1.0.0 deployed through the real store, then
// a restarted controller whose store loses the answer of write `failAt`
// deploys 2.0.0 with `strategy`.
class Run : public fakes::EngineWorld {
 public:
  void TestBody() override {}

  // greenHealthy false: 2.0.0's instances never get healthy (the deployment
  // fails at its deadline and cleans up).
  Outcome deploy(const std::string& strategy, Loss loss, int failAt, bool greenHealthy = true) {
    SetUp();
    Outcome o;
    auto first = engine->submit(request("1.0.0", rendered(strategy)));
    EXPECT_TRUE(first.has_value());
    if (!first) return o;
    auto stable = tickUntil(first->id, [](const engine::Deployment& d) { return d.phase == engine::Phase::kDone; });

    fleets.healthyOnCreate = greenHealthy;
    fakes::LostAnswerStore lossy(*st);
    lossy.failAt = failAt;
    lossy.loss = loss;
    engine = std::make_unique<engine::Engine>(lossy, fleets, traffic, metrics, releases, clock, options);

    std::string id;
    auto sub = engine->submit(request("2.0.0", rendered(strategy)));
    if (sub) {
      id = sub->id;
    } else {
      // The submit's own write lost its answer: the caller got 503. Made,
      // it runs (a retry would be refused naming it); not made, the
      // caller's retry is the deployment.
      EXPECT_EQ(sub.error().code, ErrorCode::kUnavailable) << sub.error().describe();
      store::DeploymentFilter f;
      f.service = "crawler";
      auto all = st->listDeployments(f);
      EXPECT_TRUE(all.has_value());
      for (const auto& r : all ? *all : std::vector<store::DeploymentRecord>{}) {
        if (r.id != first->id) id = r.id;
      }
      if (id.empty()) {
        auto again = engine->submit(request("2.0.0", rendered(strategy)));
        EXPECT_TRUE(again.has_value()) << again.error().describe();
        if (!again) return o;
        id = again->id;
      } else {
        auto again = engine->submit(request("2.0.0", rendered(strategy)));
        EXPECT_FALSE(again.has_value()) << "a second deployment beside one already running";
      }
    }
    // A tick whose write failed says so (kUnavailable) and the next one
    // carries on: nothing else may fail.
    engine::Deployment d;
    for (int i = 0; i < 400; ++i) {
      if (auto t = engine->tick(); !t) {
        EXPECT_EQ(t.error().code, ErrorCode::kUnavailable) << t.error().describe();
      }
      d = *engine->get(id);
      if (d.phase == engine::Phase::kDone) break;
      clock.advance(100ms);
    }
    o.state = d.state;
    o.phase = std::string(phaseName(d.phase));
    o.reason = d.reason;
    o.newWeight = traffic.weightOf("crawler", d.newFleet);
    o.oldWeight = traffic.weightOf("crawler", stable.newFleet);
    o.oldAlive = fleets.alive(stable.newFleet);
    o.newAlive = fleets.alive(d.newFleet);
    o.fleetsAskedFor = fleets.fleets.size();
    for (auto& k : kindsOf(id)) {
      if (k != "deployment.retrying") o.kinds.push_back(k);  // a failed write is retried, and says so
    }
    o.writes = lossy.writes;
    o.lost = lossy.lost.empty() ? "" : lossy.lost.front();
    auto rec = st->getDeployment(id);
    o.recordMatches = rec.has_value() && rec->revision == d.revision && rec->state == d.state;
    return o;
  }
};

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

void everyLostAnswerEndsAsTheCleanRun(const std::string& strategy, bool greenHealthy = true) {
  Outcome clean = Run().deploy(strategy, Loss::kAfterCommit, 0, greenHealthy);
  if (greenHealthy) {
    ASSERT_EQ(clean.state, "succeeded") << clean.reason;
    ASSERT_EQ(clean.newWeight, 100);
    ASSERT_EQ(clean.oldWeight, -1);
    ASSERT_FALSE(clean.oldAlive);
    ASSERT_TRUE(clean.newAlive);
  } else {
    ASSERT_EQ(clean.state, "failed") << clean.reason;
    ASSERT_EQ(clean.oldWeight, 100) << "the old fleet kept every request";
    ASSERT_TRUE(clean.oldAlive);
    ASSERT_FALSE(clean.newAlive) << "the failed fleet was retired";
  }
  ASSERT_GE(clean.writes, 8) << "too few writes to lose: the test would prove little";
  std::cout << strategy << ": " << clean.writes << " writes, each lost in turn, made then lost and never made\n";
  int runs = 0;
  for (Loss loss : {Loss::kAfterCommit, Loss::kBeforeCommit}) {
    for (int k = 1; k <= clean.writes; ++k) {
      Outcome o = Run().deploy(strategy, loss, k, greenHealthy);
      const std::string where = strategy + (loss == Loss::kAfterCommit ? ", made then lost: " : ", never made: ") +
                                o.lost + " (write " + std::to_string(k) + " of " + std::to_string(clean.writes) + ")";
      ++runs;
      ASSERT_FALSE(o.lost.empty()) << where;
      EXPECT_EQ(o.state, clean.state) << where << ": " << o.reason;
      EXPECT_EQ(o.phase, clean.phase) << where;
      EXPECT_EQ(o.newWeight, clean.newWeight) << where;
      EXPECT_EQ(o.oldWeight, clean.oldWeight) << where;
      EXPECT_EQ(o.oldAlive, clean.oldAlive) << where << ": the old fleet";
      EXPECT_EQ(o.newAlive, clean.newAlive) << where << ": the new fleet";
      // A phase run again asks for its fleet again (createFleet converges an
      // existing id, Provider.h): never for another one.
      EXPECT_EQ(o.fleetsAskedFor, clean.fleetsAskedFor) << where << ": a fleet the clean run does not make";
      EXPECT_TRUE(o.recordMatches) << where << ": the engine reports a record the store does not hold";
      EXPECT_EQ(joined(o.kinds), joined(clean.kinds)) << where;
    }
  }
  EXPECT_EQ(runs, 2 * clean.writes);
}

}  // namespace

// An approval whose answer is lost: recorded once, with its event, or not
// at all (then the approver's retry records it); the requested approval
// is recorded with the deployment it gates, never apart from it.
class LostApprovalTest : public fakes::EngineWorld {
 protected:
  static engine::DeployRequest gated(const std::string& version) {
    json r = rendered("bluegreen");
    r["environment"] = {{"approval",
                         {{"approvals", 1}, {"roles", json::array({"approver"})}, {"window", nullptr},
                          {"freeze", json::array()}, {"expires", nullptr}}}};
    return request(version, r);
  }
  int count(const std::string& id, const std::string& kind) { return static_cast<int>(events(id, kind).size()); }
};

TEST_F(LostApprovalTest, AnApprovalWhoseAnswerIsLostIsRecordedOnceWithItsEvent) {
  for (Loss loss : {Loss::kAfterCommit, Loss::kBeforeCommit}) {
    const std::string how = loss == Loss::kAfterCommit ? "made then lost" : "never made";
    fakes::LostAnswerStore lossy(*st);
    lossy.loss = loss;
    engine = std::make_unique<engine::Engine>(lossy, fleets, traffic, metrics, releases, clock, options);
    auto d = engine->submit(gated(loss == Loss::kAfterCommit ? "1.0.0" : "2.0.0"));
    ASSERT_TRUE(d.has_value()) << d.error().describe();
    ASSERT_EQ(d->state, "awaiting_approval");
    EXPECT_EQ(count(d->id, "deployment.created"), 1);
    EXPECT_EQ(count(d->id, "approval.requested"), 1) << "recorded with the deployment it gates";

    lossy.failAt = lossy.writes + 1;  // the approval's write
    auto first = engine->approve(d->id, "bob", {"approver"}, "looks good");
    ASSERT_FALSE(first.has_value()) << how;
    EXPECT_EQ(first.error().code, ErrorCode::kUnavailable) << how;
    ASSERT_EQ(lossy.lost.size(), 1u) << how;
    EXPECT_EQ(lossy.lost.front().rfind("updateDeployment", 0), 0u) << how << ": " << lossy.lost.front();
    auto again = engine->approve(d->id, "bob", {"approver"}, "looks good");
    if (loss == Loss::kAfterCommit) {
      EXPECT_FALSE(again.has_value()) << how << ": approved twice";
    } else {
      EXPECT_TRUE(again.has_value()) << how << ": " << again.error().describe();
    }
    EXPECT_EQ(count(d->id, "approval.granted"), 1) << how;
    auto stored = st->getDeployment(d->id);
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(stored->doc["approval"]["approvals"].size(), 1u) << how << ": " << stored->doc["approval"].dump();

    auto done = tickUntil(d->id, [](const engine::Deployment& x) { return x.phase == engine::Phase::kDone; });
    EXPECT_EQ(done.state, "succeeded") << how << ": " << done.reason;
  }
}

TEST(LostAnswerTest, BlueGreenEndsAsTheCleanRunWhicheverWriteLosesItsAnswer) {
  everyLostAnswerEndsAsTheCleanRun("bluegreen");
}

TEST(LostAnswerTest, ACanaryEndsAsTheCleanRunWhicheverWriteLosesItsAnswer) {
  everyLostAnswerEndsAsTheCleanRun("canary");
}

// The failure path: green never gets healthy, the deployment fails at its
// deadline, green is retired and blue keeps every request.
TEST(LostAnswerTest, AFailingDeploymentEndsAsTheCleanRunWhicheverWriteLosesItsAnswer) {
  everyLostAnswerEndsAsTheCleanRun("bluegreen", /*greenHealthy=*/false);
  everyLostAnswerEndsAsTheCleanRun("canary", /*greenHealthy=*/false);
}
