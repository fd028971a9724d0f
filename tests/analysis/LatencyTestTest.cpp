// Latency classification with a tolerance, no-data, and sequential looks.
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "analysis/LatencyTest.h"

using namespace ramp::analysis;

namespace {

MetricSpec spec(Direction d = Direction::kIncrease) {
  return MetricSpec{"latency", MetricKind::kLatency, "latency", false, d};
}

std::vector<double> lognormal(std::mt19937_64& rng, double medianMs, int n) {
  std::lognormal_distribution<double> d(std::log(medianMs), 0.5);
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(d(rng));
  return v;
}

LatencyData samples(std::vector<double> v) { return LatencyData{{}, {}, std::move(v)}; }

}  // namespace

struct LatCase {
  const char* name;
  double canaryMedian;
  int canaryN;
  Direction direction;
  Classification expected;
  const char* reasonHas;
};

class LatencyKnown : public ::testing::TestWithParam<LatCase> {};

TEST_P(LatencyKnown, OneShot) {
  // Baseline: 5000 lognormal samples, median 50 ms, sigma 0.5; tolerance 10%,
  // confidence 0.99. Outcomes follow from the sizes: the 99% CI half-width
  // of the log-ratio is about 2.58 * 0.5 * 1.02 / sqrt(n) (0.041 at n = 2000).
  const auto& c = GetParam();
  std::mt19937_64 rng(11);
  auto base = lognormal(rng, 50, 5000);
  auto can = lognormal(rng, c.canaryMedian, c.canaryN);
  LatencyPolicy p;
  auto o = LatencyTest::look({}, samples(can), samples(base), p, spec(c.direction), false);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->result.classification, c.expected) << o->result.reason;
  EXPECT_NE(o->result.reason.find(c.reasonHas), std::string::npos) << o->result.reason;
}

INSTANTIATE_TEST_SUITE_P(
    Table, LatencyKnown,
    ::testing::Values(
        LatCase{"same_passes", 50, 2000, Direction::kIncrease, Classification::kPass, "within tolerance"},
        LatCase{"plus50_high", 75, 2000, Direction::kIncrease, Classification::kHigh, "canary slower"},
        LatCase{"plus5_within_tolerance", 52.5, 2000, Direction::kIncrease, Classification::kPass, "tolerance x1.100"},
        LatCase{"plus10_undecidable", 55, 2000, Direction::kIncrease, Classification::kInconclusive, "not enough evidence"},
        LatCase{"minus40_low_is_fine_for_increase", 30, 2000, Direction::kIncrease, Classification::kLow, "canary faster"},
        LatCase{"few_samples_nodata", 75, 49, Direction::kIncrease, Classification::kNoData, "fewer than 50"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(LatencyTest, LowFailsWhenDirectionIsEither) {
  std::mt19937_64 rng(3);
  MetricResult r;
  auto o = LatencyTest::look({}, samples(lognormal(rng, 30, 2000)), samples(lognormal(rng, 50, 5000)), {},
                             spec(Direction::kEither), false);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->result.classification, Classification::kLow);
  EXPECT_TRUE(o->result.failure());
  o = LatencyTest::look({}, samples(lognormal(rng, 30, 2000)), samples(lognormal(rng, 50, 5000)), {},
                        spec(Direction::kIncrease), false);
  EXPECT_FALSE(o->result.failure());
  EXPECT_TRUE(o->result.success());
}

TEST(LatencyTest, IdenticalValuesPass) {
  LatencyPolicy p;
  auto o = LatencyTest::look({}, samples(std::vector<double>(60, 7.0)), samples(std::vector<double>(80, 7.0)), p,
                             spec(), false);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->result.classification, Classification::kPass);
  EXPECT_NE(o->result.reason.find("identical"), std::string::npos);
}

TEST(LatencyTest, MismatchedInputsAreErrors) {
  LatencyData h{{1, 2, INFINITY}, {1, 2, 3}, {}};
  LatencyData h2{{1, 3, INFINITY}, {1, 2, 3}, {}};
  auto o = LatencyTest::look({}, h, h2, {}, spec(), false);
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().where, "baseline.latency.bounds");
  o = LatencyTest::look({}, samples({1, 2}), h, {}, spec(), false);
  ASSERT_FALSE(o);
  EXPECT_NE(o.error().message.find("same form"), std::string::npos);
}

TEST(LatencyTest, LooksAreSpentGeometrically) {
  LatencyPolicy p;  // min 50, growth 1.25, confidence 0.99
  EXPECT_EQ(LatencyTest::lookIndex(49, p), 0u);
  EXPECT_EQ(LatencyTest::lookIndex(50, p), 1u);
  EXPECT_EQ(LatencyTest::lookIndex(62, p), 1u);
  EXPECT_EQ(LatencyTest::lookIndex(63, p), 2u);  // 50 * 1.25 = 62.5
  EXPECT_EQ(LatencyTest::lookIndex(50 * std::pow(1.25, 10) + 1, p), 11u);
  // alpha_k = 0.01 / (k (k+1)): 0.005, 0.01/6, ...; they sum to 0.01.
  EXPECT_NEAR(LatencyTest::lookConfidence(1, p), 0.995, 1e-12);
  EXPECT_NEAR(LatencyTest::lookConfidence(2, p), 1 - 0.01 / 6, 1e-12);
  double spent = 0;
  for (uint32_t k = 1; k <= 100000; ++k) spent += 1 - LatencyTest::lookConfidence(k, p);
  EXPECT_NEAR(spent, 0.01, 1e-6);
}

TEST(LatencyTest, SequentialLatchesAndOnlyLooksOnGrowth) {
  // Cumulative samples grow by 100 per call; the canary is 50% slower.
  std::mt19937_64 rng(5);
  auto base = lognormal(rng, 50, 20000);
  auto can = lognormal(rng, 75, 2000);
  LatencyPolicy p;
  LatencyState st;
  int looks = 0;
  int decidedAt = -1;
  for (int i = 1; i <= 20; ++i) {
    std::vector<double> c(can.begin(), can.begin() + 100 * i), b(base.begin(), base.begin() + 1000 * i);
    auto o = LatencyTest::look(st, samples(c), samples(b), p, spec(), true);
    ASSERT_TRUE(o);
    looks += o->result.stats["is_look"].get<bool>();
    st = o->state;
    if (decidedAt < 0 && o->result.classification == Classification::kHigh) decidedAt = i;
    if (decidedAt > 0) {
      EXPECT_EQ(o->result.classification, Classification::kHigh);
    }
  }
  EXPECT_GT(decidedAt, 0);
  EXPECT_LE(decidedAt, 5);
  // 100..2000 samples from min 50 with growth 1.25: looks k = 4 .. 14 at most 11 distinct
  EXPECT_LE(looks, 11);
  EXPECT_GE(looks, 8);
  auto back = LatencyState::fromJson(st.toJson(), "s");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->lastLook, st.lastLook);
  EXPECT_EQ(back->latched, st.latched);
}
