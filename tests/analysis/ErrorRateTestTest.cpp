// Known answers for the sequential error-rate test.
//
// Expected likelihood ratios were computed by hand-written Python:
// theta(r) = r*nc/(r*nc+nb), log LR = ec*log(theta1/theta0) + eb*log((1-theta1)/(1-theta0)),
// fail LR = mean over the grid 1.5*sqrt(2)^k, k = 0..6 (1.5, 2.12, 3, 4.24, 6, 8.49, 12).
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "analysis/ErrorRateTest.h"

using namespace ramp::analysis;

namespace {
MetricSpec spec() { return MetricSpec{"error_rate", MetricKind::kErrorRate, "errors", true, Direction::kIncrease}; }
}  // namespace

TEST(ErrorRateTest, IntervalLogLikelihoodRatio) {
  // theta0 = 0.5, theta1 = 2/3: 3*log(4/3) + log(2/3)
  EXPECT_NEAR(ErrorRateTest::intervalLogLr(1, 2, {1000, 3}, {1000, 1}), 0.4575811092471783, 1e-12);
  // No errors or no traffic on a side: no information.
  EXPECT_EQ(ErrorRateTest::intervalLogLr(1, 2, {1000, 0}, {1000, 0}), 0);
  EXPECT_EQ(ErrorRateTest::intervalLogLr(1, 2, {0, 0}, {1000, 5}), 0);
}

TEST(ErrorRateTest, BoundariesFollowAlphaAndBeta) {
  ErrorRatePolicy p;
  p.alpha = 0.01;
  p.beta = 0.2;
  auto o = ErrorRateTest::look({}, {1000, 10}, {1000, 10}, p, spec());
  ASSERT_TRUE(o);
  EXPECT_DOUBLE_EQ(o->result.stats["fail_threshold"].get<double>(), 100);  // 1/alpha
  EXPECT_DOUBLE_EQ(o->result.stats["pass_threshold"].get<double>(), 10);   // 2/beta (two pass routes)
  auto grid = p.grid();
  ASSERT_EQ(grid.size(), 7u);
  EXPECT_NEAR(grid[2], 3, 1e-12);
  EXPECT_NEAR(grid[6], 12, 1e-12);
}

struct ErrCase {
  const char* name;
  ErrorCounts canary, baseline;
  Classification expected;
  double lrFail;      // expected mixture LR (NAN: not checked)
  double lrPass;
  const char* reasonHas;
};

class ErrorRateKnown : public ::testing::TestWithParam<ErrCase> {};

TEST_P(ErrorRateKnown, OneLook) {
  const auto& c = GetParam();
  ErrorRatePolicy p;  // alpha 0.005 (fail at 200), beta 0.1 (pass at 20), min_increase 1.5
  auto o = ErrorRateTest::look({}, c.canary, c.baseline, p, spec());
  ASSERT_TRUE(o);
  EXPECT_EQ(o->result.classification, c.expected) << o->result.reason;
  if (!std::isnan(c.lrFail)) {
    EXPECT_NEAR(o->result.stats["likelihood_ratio_fail"].get<double>() / c.lrFail, 1, 1e-9);
  }
  if (!std::isnan(c.lrPass)) {
    EXPECT_NEAR(o->result.stats["likelihood_ratio_pass"].get<double>() / c.lrPass, 1, 1e-9);
  }
  EXPECT_NE(o->result.reason.find(c.reasonHas), std::string::npos) << o->result.reason;
}

INSTANTIATE_TEST_SUITE_P(
    Table, ErrorRateKnown,
    ::testing::Values(
        // x5: LR 753480 >= 200 → fail
        ErrCase{"x5_fails", {1000, 50}, {1000, 10}, Classification::kHigh, 753480.4136301202, NAN,
                "error rate 5.00% (50/1000) vs baseline 1.00% (10/1000): likelihood ratio 7.5e+05 >= 200"},
        // x2 on 1000 requests: LR 1.99 for fail, 0.243 for pass → not yet
        ErrCase{"x2_small_undecided", {1000, 20}, {1000, 10}, Classification::kInconclusive, 1.9940763612090198,
                0.24292667680037067, "not enough evidence"},
        // healthy, 5% canary share: pass LR 6896 >= 20 → pass
        ErrCase{"healthy_passes", {10000, 100}, {190000, 1900}, Classification::kPass, 2.0715579271303086e-05,
                6896.121078154543, "canary not worse"},
        // no errors at all: floor route, LR exp(5000*log(0.99975/0.999)) = 42.6 >= 20
        ErrCase{"no_errors_pass_by_floor", {5000, 0}, {95000, 0}, Classification::kPass, 1, 1,
                "against an error rate of 0.10%"},
        // no errors, fewer requests: floor LR 4.49 < 20
        ErrCase{"no_errors_too_few", {2000, 0}, {38000, 0}, Classification::kInconclusive, 1, 1, "not enough evidence"},
        // under min_requests (100) per side: never a pass
        ErrCase{"low_traffic", {99, 0}, {5000, 50}, Classification::kInconclusive, NAN, NAN, "low traffic (min 100"},
        ErrCase{"no_traffic", {0, 0}, {5000, 50}, Classification::kNoData, NAN, NAN, "no requests on the canary"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ErrorRateTest, BadCountsNameTheSide) {
  ErrorRatePolicy p;
  auto o = ErrorRateTest::look({}, {10, 11}, {100, 1}, p, spec());
  ASSERT_FALSE(o);
  EXPECT_EQ(o.error().where, "canary.error_rate.errors");
  auto first = ErrorRateTest::look({}, {100, 1}, {100, 1}, p, spec());
  ASSERT_TRUE(first);
  auto back = ErrorRateTest::look(first->state, {100, 1}, {90, 1}, p, spec());
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().where, "baseline.error_rate");
  EXPECT_NE(back.error().message.find("backwards"), std::string::npos);
}

TEST(ErrorRateTest, MinErrorRateGatesTinyRegressions) {
  // Relative x10 but the canary's rate (0.05%) is under min_error_rate (0.1%): never fails.
  ErrorRatePolicy p;
  auto o = ErrorRateTest::look({}, {100000, 50}, {100000, 5}, p, spec());
  ASSERT_TRUE(o);
  EXPECT_GT(o->result.stats["likelihood_ratio_fail"].get<double>(), 200);
  EXPECT_NE(o->result.classification, Classification::kHigh);
  p.minErrorRate = 0;
  o = ErrorRateTest::look({}, {100000, 50}, {100000, 5}, p, spec());
  EXPECT_EQ(o->result.classification, Classification::kHigh);
}

TEST(ErrorRateTest, SequentialSumsIntervalsAndStateRoundTrips) {
  ErrorRatePolicy p;
  ErrorRateState st;
  ErrorCounts c{}, b{};
  double expected = 0;
  for (int i = 0; i < 5; ++i) {
    ErrorCounts dc{100, static_cast<uint64_t>(2 + i % 2)}, db{1900, 19};
    expected += ErrorRateTest::intervalLogLr(1, 1.5, dc, db);
    c = {c.requests + dc.requests, c.errors + dc.errors};
    b = {b.requests + db.requests, b.errors + db.errors};
    auto o = ErrorRateTest::look(st, c, b, p, spec());
    ASSERT_TRUE(o);
    auto back = ErrorRateState::fromJson(o->state.toJson(), "state");
    ASSERT_TRUE(back);
    st = *back;
  }
  EXPECT_NEAR(st.logLrAlt[0], expected, 1e-9);
  EXPECT_EQ(st.looks, 5u);
  EXPECT_FALSE(ErrorRateState::fromJson(nlohmann::json{{"log_lr_alt", 3}}, "state.error_rate.x"));
}

TEST(ErrorRateTest, FalseFailRateUnderContinuousMonitoringIsBounded) {
  // 400 healthy canaries, 1% errors, 100 vs 1900 requests per second, looked
  // at every second for 300 s. Ville's inequality bounds false fails by alpha
  // (0.005 → at most 2 expected); allow 6 before calling it broken. The same
  // loop with a x5 canary must fail nearly always (checks the test has power).
  ErrorRatePolicy p;
  std::mt19937_64 rng(7);
  auto run = [&](double canaryRate) {
    ErrorRateState st;
    ErrorCounts c{}, b{};
    for (int t = 0; t < 300; ++t) {
      std::binomial_distribution<uint64_t> ec(100, canaryRate), eb(1900, 0.01);
      c = {c.requests + 100, c.errors + ec(rng)};
      b = {b.requests + 1900, b.errors + eb(rng)};
      auto o = ErrorRateTest::look(st, c, b, p, spec());
      st = o->state;
      if (st.decision < 0) return true;
    }
    return false;
  };
  int falseFails = 0, caught = 0;
  for (int i = 0; i < 400; ++i) falseFails += run(0.01);
  for (int i = 0; i < 100; ++i) caught += run(0.05);
  EXPECT_LE(falseFails, 6);
  EXPECT_GE(caught, 99);
}
