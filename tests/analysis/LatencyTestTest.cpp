// Latency classification with a tolerance, no-data, and sequential looks.
#include <algorithm>
#include <cmath>
#include <cstdio>
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
  p.boundary = LatencyBoundary::kSpending;
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

TEST(LatencyTest, MixtureBoundaryKnownValues) {
  // z_b(m) = sqrt((1 + rho/m)(log(1 + m/rho) + 2 log(1/a))), a = 0.01, rho
  // minimising z_b(200) (Python ternary search): rho 17.0121,
  // z_b(50) 3.76583, z_b(200) 3.57161, z_b(1000) 3.67795.
  LatencyPolicy p;  // confidence 0.99, mixture_samples 200
  EXPECT_NEAR(LatencyTest::mixtureRho(p), 17.012052108595178, 1e-3);  // flat optimum: rho to ~1e-4
  EXPECT_NEAR(LatencyTest::mixtureZ(50, p), 3.7658306164859137, 1e-6);
  EXPECT_NEAR(LatencyTest::mixtureZ(200, p), 3.571606252443769, 1e-6);
  EXPECT_NEAR(LatencyTest::mixtureZ(1000, p), 3.6779505988531835, 1e-6);
  // Tightest at mixture_samples.
  EXPECT_LT(LatencyTest::mixtureZ(200, p), LatencyTest::mixtureZ(150, p));
  EXPECT_LT(LatencyTest::mixtureZ(200, p), LatencyTest::mixtureZ(260, p));
}

namespace {

// Router-like histogram: bounds 0.1 ms * 1.05^k .. 60 s, +inf.
std::vector<double> routerBounds() {
  std::vector<double> b;
  for (double v = 0.1; v < 60000; v *= 1.05) b.push_back(v);
  b.push_back(INFINITY);
  return b;
}

void addLognormal(std::mt19937_64& rng, const std::vector<double>& bounds, std::vector<uint64_t>& counts,
                  double medianMs, int n) {
  std::lognormal_distribution<double> d(std::log(medianMs), 0.5);
  for (int i = 0; i < n; ++i) {
    double v = d(rng);
    counts[static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin())] += 1;
  }
}

// Looks at every step (25 canary, 475 baseline samples more each) until the
// metric fails or `steps` pass; true when it ever failed.
bool everHigh(std::mt19937_64& rng, double canaryMedian, int steps, const LatencyPolicy& p) {
  const auto bounds = routerBounds();
  LatencyData c{bounds, std::vector<uint64_t>(bounds.size()), {}}, b{bounds, std::vector<uint64_t>(bounds.size()), {}};
  LatencyState st;
  for (int i = 0; i < steps; ++i) {
    addLognormal(rng, bounds, c.counts, canaryMedian, 25);
    addLognormal(rng, bounds, b.counts, 50, 475);
    auto o = LatencyTest::look(st, c, b, p, MetricSpec{"latency", MetricKind::kLatency, "latency", false,
                                                       Direction::kIncrease}, true);
    if (!o) return false;
    st = o->state;
    if (st.decision < 0) return true;
  }
  return false;
}

}  // namespace

TEST(LatencyTest, MixtureBoundaryHoldsUnderLookingAtEveryStep) {
  // A canary exactly 10% slower (the tolerance: the null's worst case),
  // looked at every step for 40 steps (25 → 1000 canary samples). The
  // confidence sequence bounds "ever high" by 1 - confidence = 1% (one side:
  // about 0.5%); 150 canaries → under 1 expected, allow 5. Comparison: the
  // same canaries judged by a fixed 99% interval at every look (one-shot
  // looks, nothing paid for repetition) go wrong more often; and a +50%
  // canary must be caught every time (power).
  const MetricSpec up{"latency", MetricKind::kLatency, "latency", false, Direction::kIncrease};
  const auto bounds = routerBounds();
  LatencyPolicy p;
  std::mt19937_64 rng(23);
  int high = 0, naiveHigh = 0, caught = 0;
  for (int i = 0; i < 150; ++i) {
    LatencyData c{bounds, std::vector<uint64_t>(bounds.size()), {}}, b{bounds, std::vector<uint64_t>(bounds.size()), {}};
    LatencyState st;
    bool seqHigh = false, oneShotHigh = false;
    for (int k = 0; k < 40 && !(seqHigh && oneShotHigh); ++k) {
      addLognormal(rng, bounds, c.counts, 55, 25);
      addLognormal(rng, bounds, b.counts, 50, 475);
      auto o = LatencyTest::look(st, c, b, p, up, true);
      ASSERT_TRUE(o);
      st = o->state;
      seqHigh = seqHigh || st.decision < 0;
      auto one = LatencyTest::look({}, c, b, p, up, false);
      ASSERT_TRUE(one);
      oneShotHigh = oneShotHigh || one->result.classification == Classification::kHigh;
    }
    high += seqHigh;
    naiveHigh += oneShotHigh;
  }
  for (int i = 0; i < 50; ++i) caught += everHigh(rng, 75, 40, p);
  EXPECT_LE(high, 5);
  EXPECT_GT(naiveHigh, high);
  EXPECT_EQ(caught, 50);
  std::printf("ever high: mixture boundary %d/150, fixed 99%% per look %d/150; +50%% caught %d/50\n", high, naiveHigh,
              caught);
}

TEST(LatencyTest, ForecastFromTheIntervalWidth) {
  // t = ln 1.1. Shift 0.02 with the interval [-0.08, 0.12] on 100 canary
  // samples: the upper half-width 0.1 must shrink to t - 0.02 = 0.07531, a
  // factor (0.1/0.07531)^2 = 1.7632 more samples: 76.32 more. No fail in
  // sight (the shift is inside the tolerance).
  const double t = std::log(1.1);
  auto f = LatencyTest::forecast(0.02, -0.08, 0.12, t, 100, Direction::kIncrease);
  ASSERT_TRUE(f.passRequests);
  EXPECT_NEAR(*f.passRequests, 76.31636797478507, 1e-9);
  EXPECT_FALSE(f.failRequests);
  // Shift 0.2 in [0.05, 0.35]: the lower half-width 0.15 must shrink to
  // 0.2 - t: 105.29 more samples to a fail; no pass in sight.
  f = LatencyTest::forecast(0.2, 0.05, 0.35, t, 100, Direction::kIncrease);
  EXPECT_FALSE(f.passRequests);
  ASSERT_TRUE(f.failRequests);
  EXPECT_NEAR(*f.failRequests, 105.2927490309663, 1e-9);
  // A faster canary never fails an increase-only metric; with direction
  // either the same numbers mirrored are a fail.
  f = LatencyTest::forecast(-0.2, -0.35, -0.05, t, 100, Direction::kIncrease);
  EXPECT_FALSE(f.failRequests);
  f = LatencyTest::forecast(-0.2, -0.35, -0.05, t, 100, Direction::kEither);
  ASSERT_TRUE(f.failRequests);
  EXPECT_NEAR(*f.failRequests, 105.2927490309663, 1e-9);
}
