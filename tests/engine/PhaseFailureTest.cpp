// Every wait has an end (Engine::errorExit, PhaseTable's error rows): a
// provider error that is
// permanent ends the phase at once with its message as the reason; a
// transient one is retried, said in the reason, and ends the phase at the
// strategy's deadline; abort ends even when nothing can be retired; errors
// that are the controller's own (a lease conflict) never end a deployment.
#include "engine/Engine.h"

#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "EngineWorld.h"
#include "core/Clock.h"
#include "store/Store.h"

using namespace ramp;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

json rendered(const std::string& strategy = "bluegreen") {
  json s{{"type", strategy}, {"bake", "0s"}, {"deadline", "10s"}, {"drain", "0s"}};
  if (strategy == "canary") s["steps"] = json::array({{{"weight", 20}}, {{"pause", "until_resumed"}}, {{"weight", 100}}});
  return fakes::renderedWith(s);
}

Error permanentAuth() {
  return Error{ErrorCode::kUnauthenticated,
               "SignatureDoesNotMatch: The request signature we calculated does not match (HTTP 403)",
               "aws:elasticloadbalancing:DescribeLoadBalancers", /*permanent=*/true};
}

class PhaseFailureTest : public fakes::EngineWorld {
 protected:
  std::string submit(const std::string& version, json r = rendered()) {
    auto d = engine->submit(request(version, std::move(r)));
    EXPECT_TRUE(d.has_value()) << d.error().describe();
    return d ? d->id : "";
  }
  // `ticks` ticks `step` apart, their errors unchecked (failing is the
  // point here); the deployment then.
  engine::Deployment run(const std::string& id, int ticks = 20, std::chrono::milliseconds step = 100ms) {
    for (int i = 0; i < ticks; ++i) {
      (void)engine->tick();
      clock.advance(step);
    }
    auto d = engine->get(id);
    EXPECT_TRUE(d.has_value());
    return *d;
  }
};

}  // namespace

// Wrong secret at the start: not "queued step 0/4" forever, failed at once
// with AWS's message as the reason; nothing took traffic.
TEST_F(PhaseFailureTest, APermanentErrorEndsThePhaseAtOnceWithItsMessage) {
  traffic.entrypointError = permanentAuth();
  auto id = submit("1.0.0");
  auto d = run(id, 3);
  EXPECT_EQ(d.state, "failed") << d.reason;
  EXPECT_EQ(phaseName(d.phase), "done");
  EXPECT_NE(d.reason.find("start: "), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("SignatureDoesNotMatch"), std::string::npos) << d.reason;
  EXPECT_EQ(traffic.sets, 0);
}

// Throttling (transient): retried, said in the reason while it lasts, and
// ended at the strategy's deadline (10 s), not after it.
TEST_F(PhaseFailureTest, ATransientErrorIsRetriedSaidAndEndedAtTheDeadline) {
  auto first = submit("1.0.0");
  ASSERT_EQ(run(first).state, "succeeded");
  traffic.setError = Error{ErrorCode::kUnavailable, "Throttling: Rate exceeded (HTTP 400) after 3 attempts",
                           "aws:elasticloadbalancing:ModifyRule"};
  auto id = submit("2.0.0");
  auto d = run(id, 20);
  EXPECT_EQ(d.state, "running") << d.reason;
  EXPECT_EQ(phaseName(d.phase), "switch");
  EXPECT_TRUE(d.reason.starts_with("retrying switch: ")) << d.reason;
  EXPECT_NE(d.reason.find("Throttling"), std::string::npos) << d.reason;
  d = run(id, 100);  // +10 s: the deadline; the rollback fails the same way
  ASSERT_TRUE(phaseName(d.phase).starts_with("rb_")) << "traffic may have moved: rolled back; " << d.phase << " " << d.reason;
  d = run(id, 200);
  EXPECT_EQ(phaseName(d.phase), "done") << d.reason;
  EXPECT_EQ(d.state, "failed") << d.reason;
  EXPECT_NE(d.reason.find("deadline"), std::string::npos) << d.reason;
  // The failure recovered: a new deployment goes through.
  traffic.setError.reset();
  auto next = submit("3.0.0");
  EXPECT_EQ(run(next, 30).state, "succeeded");
}

// `ramp abort` while nothing can be retired (credentials revoked): the
// deployment ends aborted, naming the fleet `ramp down` must retire.
TEST_F(PhaseFailureTest, AbortEndsEvenWhenTheFleetCannotBeRetired) {
  fleets.healthyOnCreate = false;
  auto id = submit("1.0.0");
  auto d = run(id, 5);
  ASSERT_EQ(phaseName(d.phase), "wait_healthy");
  fleets.retireError = permanentAuth();
  auto a = engine->control("crawler", "int", "abort", "bob");
  ASSERT_TRUE(a.has_value()) << a.error().describe();
  d = run(id, 3);
  EXPECT_EQ(phaseName(d.phase), "done") << d.reason;
  EXPECT_EQ(d.state, "aborted") << d.reason;
  EXPECT_NE(d.reason.find("aborted by bob"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find(d.newFleet + " may be left"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("ramp down"), std::string::npos) << d.reason;
}

// A conflict (another controller holds the lease) is the controller's, not
// the deployment's: never ends it, however long it lasts.
TEST_F(PhaseFailureTest, AConflictNeverEndsADeployment) {
  traffic.entrypointError = Error{ErrorCode::kConflict, "lease 'controller' is held by 'other' (epoch 7)", "lease"};
  auto id = submit("1.0.0");
  auto d = run(id, 150);  // 15 s > the deadline
  EXPECT_EQ(d.state, "queued") << d.reason;
  EXPECT_EQ(phaseName(d.phase), "start");
  traffic.entrypointError.reset();
  EXPECT_EQ(run(id, 20).state, "succeeded");
}

// The store behind the release catalog cannot answer (a database restart)
// while a phase checks a fleet's release: the phase is retried until it
// answers, never a failed deployment. Found by the PostgreSQL chaos soak:
// 2 good releases of 111 failed "query failed: server closed the
// connection" when the restart fell between the release's find and verify.
TEST_F(PhaseFailureTest, AStoreThatCannotAnswerWhileTheReleaseIsCheckedIsRetriedNotAFailure) {
  auto id = submit("1.0.0");  // submit's own check answers; the phase's do not, twice each
  releases.findsUnavailable["1.0.0"] = 2;
  releases.verifiesUnavailable["1.0.0"] = 2;
  auto d = run(id, 40);
  EXPECT_EQ(d.state, "succeeded") << d.reason;
  EXPECT_EQ(releases.findsUnavailable["1.0.0"], 0);
  EXPECT_EQ(releases.verifiesUnavailable["1.0.0"], 0);
}

// The same for a canary's fresh baseline, built from the stable release.
TEST_F(PhaseFailureTest, AStoreThatCannotAnswerWhileTheBaselinesReleaseIsCheckedIsRetried) {
  ASSERT_EQ(run(submit("1.0.0"), 40).state, "succeeded");
  json r = rendered("canary");
  r["strategy"]["baseline"] = "fresh";
  r["strategy"]["steps"] = json::array({{{"weight", 20}}, {{"pause", "until_resumed"}}});
  auto id = submit("2.0.0", r);
  ASSERT_FALSE(id.empty());
  releases.findsUnavailable["1.0.0"] = 2;
  releases.verifiesUnavailable["1.0.0"] = 2;
  auto d = run(id, 40);
  EXPECT_NE(d.state, "failed") << d.reason;
  EXPECT_EQ(d.state, "paused") << d.reason;  // at the pause step: it got there
  ASSERT_FALSE(d.baselineFleet.empty());
  EXPECT_TRUE(fleets.alive(d.baselineFleet));
  EXPECT_EQ(releases.verifiesUnavailable["1.0.0"], 0);
}
