// FleetPlacementConformanceTest — store/ProviderStore.h's fleet placements on
// both backends: the aws region a fleet was made in is kept (migration 9),
// a row from before regions is filled in once, and a fleet never moves
// (another provider, site or region is kConflict and changes nothing).
#include "StoreConformance.h"

using namespace ramp;
using namespace ramp::store;
using namespace ramp::store::test;

namespace {

TEST_P(StoreConformance, FleetPlacementsKeepTheirRegionAndNeverMove) {
  FleetPlacementRecord aws{"web-prod-1", "aws", "", kT0, "eu-west-1"};
  ASSERT_TRUE(store_->putFleetPlacement(aws));
  ASSERT_TRUE(store_->putFleetPlacement(aws)) << "the same again is no change";
  FleetPlacementRecord noRegion = aws;
  noRegion.region = "";
  ASSERT_TRUE(store_->putFleetPlacement(noRegion)) << "a writer that does not know the region changes nothing";
  FleetPlacementRecord moved = aws;
  moved.region = "us-east-1";
  auto refused = store_->putFleetPlacement(moved);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  EXPECT_TRUE(contains(refused.error().message, "eu-west-1")) << refused.error().message;
  auto got = store_->getFleetPlacement("web-prod-1");
  ASSERT_TRUE(got && *got) << (got ? "absent" : got.error().describe());
  EXPECT_EQ((*got)->region, "eu-west-1");
  EXPECT_EQ((*got)->provider, "aws");

  // A row written before regions were recorded (region '') is filled in
  // once, then fixed like any other.
  ASSERT_TRUE(store_->putFleetPlacement({"web-prod-2", "aws", "", kT0, ""}));
  ASSERT_TRUE(store_->putFleetPlacement({"web-prod-2", "aws", "", kT0, "us-east-1"}));
  EXPECT_FALSE(store_->putFleetPlacement({"web-prod-2", "aws", "", kT0, "eu-west-1"}));
  ASSERT_TRUE(store_->putFleetPlacement({"web-int-1", "local", "site-a", kT0, ""}));
  auto all = reopen()->listFleetPlacements();
  ASSERT_TRUE(all) << all.error().describe();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].fleetId, "web-int-1");
  EXPECT_EQ((*all)[0].region, "");
  EXPECT_EQ((*all)[1].region, "eu-west-1");
  EXPECT_EQ((*all)[2].region, "us-east-1");
}

}  // namespace
