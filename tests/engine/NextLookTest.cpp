// NextLookTest.cpp — when a deployment next needs its phase run
// (engine/NextLook.h), as a table: phase, state, the record's times, the
// alarms' next look -> the answer. Times are ms after `now`.
#include <gtest/gtest.h>

#include <optional>

#include "engine/NextLook.h"

using namespace ramp::engine;

namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr int64_t kNone = -1;

struct Row {
  const char* what;
  Phase phase;
  const char* state;
  int64_t bakeUntil;        // ms after now
  int64_t bakeLook;         // the bake judge's next look (kNone: not judging)
  int64_t analysisLook;     // the canary analysis's next look (kNone: not armed)
  int64_t analysisDeadline;
  int64_t alarms;           // the alarms' next look (kNone: none configured)
  int64_t expect;           // ms after now
};

constexpr Row kRows[] = {
    {"a phase that can change at any moment runs every tick", Phase::kWaitHealthy, "running", 0, kNone, kNone, 0, kNone, 0},
    {"a drain is polled every tick", Phase::kDrainPrevious, "succeeded", -5, kNone, kNone, 0, kNone, 0},
    {"a bake waits for its end", Phase::kBake, "succeeded", 400, kNone, kNone, 0, kNone, 400},
    {"a long bake is looked at within a second", Phase::kBake, "succeeded", 60'000, kNone, kNone, 0, kNone, 1000},
    {"the judge's look comes first", Phase::kBake, "succeeded", 60'000, 250, kNone, 0, kNone, 250},
    {"the alarms' look comes first", Phase::kBake, "succeeded", 60'000, 900, kNone, 0, 120, 120},
    {"an overdue look is now", Phase::kBake, "succeeded", 60'000, -30, kNone, 0, kNone, 0},
    {"a bake past its end is now", Phase::kBake, "succeeded", -1, kNone, kNone, 0, kNone, 0},
    {"an analysis waits for its next look", Phase::kCanaryAnalysis, "running", 0, kNone, 300, 5000, kNone, 300},
    {"or its deadline", Phase::kCanaryAnalysis, "running", 0, kNone, 800, 200, kNone, 200},
    {"a canary step is applied every tick", Phase::kCanaryStep, "running", 0, kNone, 300, 5000, kNone, 0},
    {"a paused deployment waits for a person (seen within a second)", Phase::kSwitch, "paused", 0, kNone, kNone, 0, kNone, 1000},
    {"a paused canary's judge keeps looking", Phase::kCanaryAnalysis, "paused", 0, kNone, 350, 5000, kNone, 350},
    {"an approval waits for a person", Phase::kApproval, "awaiting_approval", 0, kNone, kNone, 0, kNone, 1000},
    {"a deployment window waits for its time", Phase::kWindow, "queued", 0, kNone, kNone, 0, kNone, 1000},
    {"a queue moves when the one ahead ends: every tick", Phase::kQueue, "queued", 0, kNone, kNone, 0, kNone, 0},
};

TEST(NextLook, Table) {
  for (const auto& row : kRows) {
    Deployment d;
    d.phase = row.phase;
    d.state = row.state;
    d.bakeUntil = kNow + row.bakeUntil;
    if (row.bakeLook != kNone) {
      d.bake.blueFrom = CounterSnapshot{};
      d.bake.nextLookAt = kNow + row.bakeLook;
    }
    if (row.analysisLook != kNone) {
      d.analysis.armed = true;
      d.analysis.nextLookAt = kNow + row.analysisLook;
      d.analysis.deadlineAt = kNow + row.analysisDeadline;
    }
    std::optional<int64_t> alarms;
    if (row.alarms != kNone) alarms = kNow + row.alarms;
    EXPECT_EQ(nextLookAt(d, kNow, alarms) - kNow, row.expect) << row.what;
  }
}

TEST(NextLook, AJudgedOrResolvedBakeWaitsOnlyForItsEnd) {
  Deployment d;
  d.phase = Phase::kBake;
  d.state = "succeeded";
  d.bakeUntil = kNow + 700;
  d.bake.blueFrom = CounterSnapshot{};
  d.bake.nextLookAt = kNow + 100;
  d.bake.judged = true;
  EXPECT_EQ(nextLookAt(d, kNow, std::nullopt) - kNow, 700);
  d.bake.judged = false;
  d.bake.resolved = true;
  EXPECT_EQ(nextLookAt(d, kNow, std::nullopt) - kNow, 700);
}

TEST(NextLook, AFinishedDeploymentIsNeverPutOff) {
  Deployment d;
  d.phase = Phase::kDone;
  d.state = "succeeded";
  d.bakeUntil = kNow + 60'000;
  EXPECT_EQ(nextLookAt(d, kNow, std::nullopt), kNow);
}

}  // namespace
