// What `ramp deploy` and `ramp status` say a region of a deployment across
// regions runs (cli/WaveLine.h). A rollback deployment's region that was
// rolled back runs the rollback's release, not the one it replaced: issue
// #21 saw "eu-west-1 rolled_back back on 2.0.0" while it ran 1.0.0.
#include <gtest/gtest.h>

#include "cli/WaveLine.h"

using nlohmann::json;
using ramp::cli::waveOutcome;

TEST(WaveLine, EachStateSaysWhatTheRegionRuns) {
  json deploy{{"kind", "deploy"}};
  json wave{{"region", "eu-west-1"}, {"version", "2.0.0"}, {"old_version", "1.0.0"}};
  wave["state"] = "running";
  EXPECT_EQ(waveOutcome(deploy, wave), "(1.0.0 -> 2.0.0)");
  wave["state"] = "succeeded";
  EXPECT_EQ(waveOutcome(deploy, wave), "runs 2.0.0");
  wave["state"] = "not_started";
  EXPECT_EQ(waveOutcome(deploy, wave), "never touched");
  for (const char* ended : {"rolled_back", "failed", "aborted"}) {
    wave["state"] = ended;
    EXPECT_EQ(waveOutcome(deploy, wave), "back on 1.0.0") << ended;
  }
  wave["state"] = "pending";
  EXPECT_EQ(waveOutcome(deploy, wave), "");
}

TEST(WaveLine, ARollbackDeploymentsRegionIsBackOnTheRollbacksRelease) {
  json rollback{{"kind", "rollback"}};
  json wave{{"region", "eu-west-1"}, {"version", "1.0.0"}, {"old_version", "2.0.0"}, {"state", "rolled_back"}};
  EXPECT_EQ(waveOutcome(rollback, wave), "back on 1.0.0");
  wave["state"] = "failed";  // the rollback itself failed there: still on what it replaced
  EXPECT_EQ(waveOutcome(rollback, wave), "back on 2.0.0");
}
