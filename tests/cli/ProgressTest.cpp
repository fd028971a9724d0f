// ProgressTest.cpp — server/DeploymentProgress: what `ramp status`, the
// follow lines and the dashboard show a deployment doing. Counters never run
// over ("switch running step 6/5"), a bake is "baking" not a success that is
// already over, a rollback in progress says so, and the time left is read
// from the deployment's timing at the given instant.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli/ProgressText.h"
#include "server/DeploymentProgress.h"

using nlohmann::json;
using ramp::server::progressOf;

namespace {

json view(const std::string& state, const std::string& phase, int step, int steps, json timing = json::object()) {
  json names = json::array();
  for (int i = 1; i <= steps; ++i) names.push_back("s" + std::to_string(i));
  return {{"state", state}, {"phase", phase}, {"strategy", "canary"}, {"step", step},
          {"steps", steps}, {"step_names", names}, {"timing", timing}};
}

}  // namespace

TEST(Progress, StepNeverRunsOverTheSteps) {
  auto p = progressOf(view("running", "switch", 6, 5), 0);
  EXPECT_EQ(p["step"], 5);
  EXPECT_EQ(p["steps"], 5);
  EXPECT_EQ(p["step_name"], "s5");
  EXPECT_EQ(p["label"], "running");
  EXPECT_EQ(p["activity"], "moving all traffic to the new fleet");
  EXPECT_EQ(progressOf(view("running", "start", -1, 5), 0)["step"], 0);
  EXPECT_TRUE(progressOf(view("running", "start", 0, 5), 0)["step_name"].is_null());
}

TEST(Progress, ABakeIsBakingWithTheTimeLeft) {
  auto v = view("succeeded", "bake", 3, 4, {{"bake_until_ms", 100000}, {"next_look_at_ms", 91000}, {"judge_looks", 7}});
  v["strategy"] = "bluegreen";
  auto p = progressOf(v, 90000);
  EXPECT_EQ(p["label"], "baking");
  EXPECT_EQ(p["ends_in_ms"], 10000);
  EXPECT_EQ(p["next_look_in_ms"], 1000);
  EXPECT_EQ(p["judge_looks"], 7);
  EXPECT_NE(p["activity"].get<std::string>().find("may still roll back"), std::string::npos) << p.dump();
  EXPECT_NE(p["activity"].get<std::string>().find("(10s left)"), std::string::npos) << p.dump();
  EXPECT_EQ(p["ends_at"], "1970-01-01T00:01:40.000Z");
  // After the bake: retiring, then done.
  EXPECT_EQ(progressOf(view("succeeded", "retire_previous", 4, 4), 0)["label"], "retiring");
  auto done = progressOf(view("succeeded", "done", 4, 4, {{"bake_until_ms", 100000}}), 200000);
  EXPECT_EQ(done["label"], "succeeded");
  EXPECT_EQ(done["activity"], "done");
  EXPECT_TRUE(done["ends_in_ms"].is_null());
}

TEST(Progress, AnalysisHasItsDeadlineAndNextLook) {
  auto p = progressOf(view("running", "canary_analysis", 2, 5,
                           {{"analysis_deadline_at_ms", 40000}, {"next_look_at_ms", 10500}, {"judge_looks", 3}}),
                      10000);
  EXPECT_EQ(p["ends_in_ms"], 30000);
  EXPECT_EQ(p["next_look_in_ms"], 500);
  EXPECT_EQ(p["judge_looks"], 3);
  EXPECT_EQ(p["activity"], "the judge compares the canary with the baseline (30s left)");
  // A deadline already passed reads 0 left, never negative.
  EXPECT_EQ(progressOf(view("running", "canary_analysis", 2, 5, {{"analysis_deadline_at_ms", 5000}}), 9000)["ends_in_ms"],
            0);
}

TEST(Progress, PausesAndRollbacksSayWhatTheyAre) {
  EXPECT_EQ(progressOf(view("paused", "canary_pause", 2, 5), 0)["activity"], "paused until someone resumes it");
  auto timed = progressOf(view("running", "canary_pause", 2, 5, {{"deadline_at_ms", 65000}}), 0);
  EXPECT_EQ(timed["activity"], "pausing (65s left)");
  EXPECT_EQ(progressOf(view("paused", "canary_analysis", 2, 5), 0)["activity"], "paused by a person at step 2");
  auto rb = progressOf(view("running", "rb_switch", 2, 5), 0);
  EXPECT_EQ(rb["label"], "rolling_back");
  EXPECT_EQ(progressOf(view("rolled_back", "rb_retire", 2, 5), 0)["label"], "rolled_back");
  EXPECT_EQ(progressOf(view("awaiting_approval", "approval", 0, 5), 0)["activity"], "waiting for an approval");
}

// The judge's progress as `ramp status`, --watch and the follow lines show
// it (cli/ProgressText): requests seen and needed, when, the time left.
TEST(JudgeLines, ShowRequestsSeenAndNeededWithTheForecast) {
  json verdict = {
      {"verdict", "continue"},
      {"metrics", json::array()},
      {"progress",
       {{"step", 2},
        {"weight", 50},
        {"elapsed_s", 4.0},
        {"deadline_in_s", 26.0},
        {"canary", {{"requests", 390}, {"errors", 12}, {"per_second", 97.5}}},
        {"baseline", {{"requests", 3512}, {"errors", 0}}},
        {"forecast",
         {{"decision", "fail"}, {"requests", 210}, {"seconds", 2.2}, {"within_deadline", true},
          {"weight_for_deadline", nullptr}}}}}};
  auto lines = ramp::cli::judgeLines(verdict);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            "judge: 390 canary requests seen (12 errors, 97.5/s), ~600 needed for a fail in ~2.2s; 26s left in the step");
  // Not enough traffic to decide before the deadline: it says so, and the
  // weight that would.
  verdict["progress"]["forecast"]["within_deadline"] = false;
  verdict["progress"]["forecast"]["weight_for_deadline"] = 80;
  lines = ramp::cli::judgeLines(verdict);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("(not enough traffic to decide in time: 80% would be)"), std::string::npos) << lines[0];
  // Decided: what it saw and what it decided, no "needed" or time left.
  verdict["verdict"] = "fail";
  verdict["progress"]["forecast"]["requests"] = 0;
  lines = ramp::cli::judgeLines(verdict);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "judge: 390 canary requests seen (12 errors, 97.5/s); decided: fail");
  // A verdict of the judge alone (no engine progress): its forecast only.
  json bare = {{"metrics", json::array()}, {"details", {{"forecast", {{"decision", "pass"}, {"requests", 1200}}}}}};
  lines = ramp::cli::judgeLines(bare);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "forecast: a pass after ~1200 more canary requests");
}
