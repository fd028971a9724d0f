// DORA figures against a hand-computed history (times in the comments).
#include <gtest/gtest.h>

#include "server/DeliveryStats.h"

using namespace ramp::server;
using ramp::store::AuditEvent;
using ramp::store::ReleaseRecord;

namespace {

constexpr int64_t kMin = 60'000, kHour = 60 * kMin, kDay = 24 * kHour;

struct History {
  std::vector<AuditEvent> events;
  int64_t seq = 0;
  void finished(const std::string& dep, const std::string& version, const std::string& state, int64_t t,
                const std::string& env = "prod") {
    AuditEvent e;
    e.seq = ++seq;
    e.time = t;
    e.kind = "deployment.finished";
    e.service = "crawler";
    e.env = env;
    e.deploymentId = dep;
    e.data = {{"version", version}, {"state", state}};
    events.push_back(e);
  }
  void rollbackOf(const std::string& dep, const std::string& of, int64_t t) {
    AuditEvent e;
    e.seq = ++seq;
    e.time = t;
    e.kind = "deployment.rollback";
    e.service = "crawler";
    e.env = "prod";
    e.deploymentId = dep;
    e.data = {{"rolls_back", of}};
    events.push_back(e);
  }
};

ReleaseRecord release(const std::string& v, int64_t createdAt) {
  ReleaseRecord r;
  r.service = "crawler";
  r.version = v;
  r.createdAt = createdAt;
  return r;
}

History story() {
  History h;
  h.finished("d1", "1.0", "succeeded", 3 * kHour);           // lead 1.0: 3 h = 10800 s
  h.finished("d1", "1.0", "succeeded", 3 * kHour + 5 * kMin); // the engine repeats it after the bake: same outcome
  h.finished("d2", "1.1", "rolled_back", kDay);              // failure
  h.rollbackOf("d3", "d2", kDay + kMin);
  h.finished("d3", "1.0", "rolled_back", kDay + 10 * kMin);  // a rollback deployment (ends rolled_back): restores d2 after 600 s, not a change
  h.finished("d4", "1.1", "succeeded", 2 * kDay);            // lead 1.1: 2 d - 1 h = 169200 s
  h.finished("d5", "1.0", "succeeded", 3 * kDay);            // 1.0 again: no lead sample
  h.finished("d6", "1.2", "failed", 4 * kDay);               // failure
  h.finished("d7", "1.2", "aborted", 4 * kDay + kHour);      // neither
  h.finished("d8", "1.2", "succeeded", 5 * kDay);            // restores d6 after 1 d; lead 1.2: 5 d - 2 h = 424800 s
  h.finished("d9", "1.3", "failed", 6 * kDay);               // failure, unrestored, no release record
  h.finished("i1", "1.0", "succeeded", 2 * kHour, "int");    // lead 1.0 in int: 2 h
  return h;
}

std::vector<ReleaseRecord> releases() { return {release("1.0", 0), release("1.1", kHour), release("1.2", 2 * kHour)}; }

}  // namespace

TEST(DeliveryStats, MedianAndNearestRank) {
  EXPECT_EQ(medianOf({3, 1, 2}), 2);
  EXPECT_EQ(medianOf({4, 1, 3, 2}), 2.5);
  EXPECT_EQ(nearestRankPercentile({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.9), 9);
  EXPECT_EQ(nearestRankPercentile({10, 1, 5}, 0.9), 10);
  EXPECT_EQ(nearestRankPercentile({5}, 0.9), 5);
}

TEST(DeliveryStats, FourFiguresOverAWeek) {
  auto h = story();
  auto stats = computeDeliveryStats(h.events, releases(), {0, 7 * kDay, std::nullopt, std::nullopt});
  ASSERT_EQ(stats.size(), 2u);
  const auto& intEnv = stats[0];
  const auto& prod = stats[1];
  EXPECT_EQ(intEnv.env, "int");
  EXPECT_EQ(intEnv.succeeded, 1);
  EXPECT_EQ(intEnv.leadTimeMedianSeconds, 7200);
  EXPECT_EQ(intEnv.changeFailureRate, 0);
  EXPECT_FALSE(intEnv.timeToRestoreMedianSeconds);

  EXPECT_EQ(prod.env, "prod");
  EXPECT_EQ(prod.succeeded, 4);        // d1 d4 d5 d8 (not the rollback d3)
  EXPECT_EQ(prod.failed, 3);           // d2 d6 d9
  EXPECT_EQ(prod.finished, 7);
  EXPECT_DOUBLE_EQ(prod.deploysPerDay, 4.0 / 7);
  EXPECT_DOUBLE_EQ(prod.deploysPerWeek, 4.0);
  EXPECT_EQ(prod.leadTimeSamples, 3);
  EXPECT_EQ(prod.leadTimeMedianSeconds, 169200);
  EXPECT_EQ(prod.leadTimeP90Seconds, 424800);
  ASSERT_TRUE(prod.changeFailureRate);
  EXPECT_DOUBLE_EQ(*prod.changeFailureRate, 3.0 / 7);
  EXPECT_EQ(prod.restored, 2);
  EXPECT_EQ(prod.unrestored, 1);
  EXPECT_EQ(prod.timeToRestoreMedianSeconds, (600.0 + 86400.0) / 2);
}

TEST(DeliveryStats, WindowKeepsEarlierSuccessesForFirstSuccessOnly) {
  auto h = story();
  // From 1.5 days: d1 and d2 are outside; d5 (1.0 again) still has no lead
  // sample because 1.0 succeeded before (d1), outside the window.
  auto stats = computeDeliveryStats(h.events, releases(), {kDay + 12 * kHour, 7 * kDay, std::string("crawler"), std::string("prod")});
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].succeeded, 3);   // d4 d5 d8
  EXPECT_EQ(stats[0].failed, 2);      // d6 d9
  EXPECT_EQ(stats[0].leadTimeSamples, 2);
  EXPECT_EQ(stats[0].leadTimeMedianSeconds, (169200.0 + 424800.0) / 2);
  EXPECT_EQ(stats[0].leadTimeP90Seconds, 424800);
  EXPECT_EQ(stats[0].timeToRestoreMedianSeconds, 86400);
  EXPECT_DOUBLE_EQ(stats[0].deploysPerDay, 3 / 5.5);
}

TEST(DeliveryStats, RestoreAfterTheWindowEndIsNotCounted) {
  auto h = story();
  auto stats = computeDeliveryStats(h.events, releases(), {4 * kDay, 4 * kDay + 2 * kHour, std::nullopt, std::string("prod")});
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].failed, 1);       // d6; d7 aborted counts nowhere
  EXPECT_EQ(stats[0].succeeded, 0);
  EXPECT_EQ(stats[0].unrestored, 1);   // d8 is after `until`
  EXPECT_EQ(stats[0].changeFailureRate, 1.0);
  EXPECT_FALSE(stats[0].leadTimeMedianSeconds);
}

TEST(DeliveryStats, ASucceededDeploymentRolledBackLaterIsAFailure) {
  History h;
  h.finished("e1", "1.1", "succeeded", kHour);
  h.rollbackOf("r1", "e1", 2 * kHour - kMin);
  h.finished("e1", "1.1", "rolled_back", 2 * kHour);         // `ramp rollback` undid it
  h.finished("r1", "1.0", "rolled_back", 2 * kHour + 1000);  // traffic verified back on 1.0
  auto stats = computeDeliveryStats(h.events, releases(), {0, kDay, std::nullopt, std::nullopt});
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].succeeded, 0);
  EXPECT_EQ(stats[0].failed, 1);
  EXPECT_EQ(stats[0].leadTimeSamples, 0);
  EXPECT_EQ(stats[0].restored, 1);
  EXPECT_EQ(stats[0].timeToRestoreMedianSeconds, 1);
}

TEST(DeliveryStats, NothingFinishedGivesNoRows) {
  auto stats = computeDeliveryStats({}, {}, {0, kDay, std::nullopt, std::nullopt});
  EXPECT_TRUE(stats.empty());
}

TEST(DeliveryStats, JsonNamesEveryFigure) {
  auto h = story();
  auto stats = computeDeliveryStats(h.events, releases(), {0, 7 * kDay, std::nullopt, std::string("int")});
  ASSERT_EQ(stats.size(), 1u);
  auto j = stats[0].toJson();
  EXPECT_EQ(j["lead_time"]["median_seconds"], 7200);
  EXPECT_TRUE(j["time_to_restore"]["median_seconds"].is_null());
  EXPECT_EQ(j["change_failure_rate"]["rate"], 0.0);
  EXPECT_EQ(j["deployment_frequency"]["succeeded"], 1);
}
