// Known answers for the sequential error-rate test.
//
// Expected likelihood ratios were computed by hand-written Python:
// theta(r) = r*nc/(r*nc+nb), log LR = ec*log(theta1/theta0) + eb*log((1-theta1)/(1-theta0)),
// fail LR (mixture) = mean over the grid 1.5*4^(k/8), k = 0..8 (1.5, 1.78, 2.12, 2.52, 3, 3.57, 4.24, 5.05, 6);
// pass evidence = 0.5 LR_pass + 0.5 LR_floor (the floor route against the
// objective, default 0.5%), pass at 1/beta; the plug-in sequence, the floor's
// plug-in rate and the forecasts likewise (each step is in the test).
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "analysis/ErrorRateTest.h"

using namespace ramp::analysis;

namespace {
MetricSpec spec() { return MetricSpec{"error_rate", MetricKind::kErrorRate, "errors", true, Direction::kIncrease}; }

// One canary watched by policy `p`, looked at every second for 300 s: per
// second 100 canary requests failing at `canaryRate` and 1900 baseline
// requests failing at 1%, drawn from `rng`. Whether the test failed it.
bool failsWithinFiveMinutes(std::mt19937_64& rng, const ErrorRatePolicy& p, double canaryRate) {
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
}

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
  EXPECT_DOUBLE_EQ(o->result.stats["pass_threshold"].get<double>(), 5);    // 1/beta on the combined e-value
  EXPECT_DOUBLE_EQ(o->result.stats["pass_weight"].get<double>(), 0.5);
  auto grid = p.grid();
  ASSERT_EQ(grid.size(), 9u);
  EXPECT_NEAR(grid[4], 3, 1e-12);
  EXPECT_NEAR(grid[8], 6, 1e-12);
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
  ErrorRatePolicy p;  // alpha 0.005 (fail at 200), beta 0.1 (pass at 10), min_increase 1.5, mixture
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
        // x5: LR 884119 >= 200 → fail
        ErrCase{"x5_fails", {1000, 50}, {1000, 10}, Classification::kHigh, 884119.1185854827, NAN,
                "error rate 5.00% (50/1000) vs baseline 1.00% (10/1000): likelihood ratio 8.8e+05 >= 200"},
        // x2 on 1000 requests: LR 2.90 for fail, 0.243 for pass → not yet
        ErrCase{"x2_small_undecided", {1000, 20}, {1000, 10}, Classification::kInconclusive, 2.9048295905036587,
                0.24292667680037067, "not enough evidence"},
        // healthy, 5% canary share: pass LR 6896, evidence 0.8 * 6896 >= 10 → pass
        ErrCase{"healthy_passes", {10000, 100}, {190000, 1900}, Classification::kPass, 1.611273418865087e-05,
                6896.121078154543, "canary not worse"},
        // 0.10% vs 0.07%: the ratio says nothing yet (LR 0.91), but the canary
        // is below the 0.5% objective: floor LR 1230 (3 ln(1/4) + 2997
        // ln(0.99875/0.995)), evidence 0.5*0.91 + 0.5*1230 = 616 >= 10
        ErrCase{"pass_by_objective", {3000, 3}, {27000, 20}, Classification::kPass, NAN, 0.9100811128645372,
                "against the objective of 0.50% 1230 (evidence 616 >= 10"},
        // no errors at all: floor LR exp(783 ln(0.99875/0.995)) = 19.02, evidence 0.5 + 0.5*19.02 = 10.01 >= 10
        ErrCase{"no_errors_783_pass_by_objective", {783, 0}, {14877, 0}, Classification::kPass, 1, 1,
                "against the objective of 0.50%"},
        // 782 requests: floor LR 18.95, evidence 9.97 < 10
        ErrCase{"no_errors_782_not_yet", {782, 0}, {14858, 0}, Classification::kInconclusive, 1, 1,
                "pass evidence 9.97 (pass at 10)"},
        ErrCase{"no_errors_too_few", {300, 0}, {5700, 0}, Classification::kInconclusive, 1, 1, "not enough evidence"},
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
  int falseFails = 0, caught = 0;
  for (int i = 0; i < 400; ++i) falseFails += failsWithinFiveMinutes(rng, p, 0.01);
  for (int i = 0; i < 100; ++i) caught += failsWithinFiveMinutes(rng, p, 0.05);
  EXPECT_LE(falseFails, 6);
  EXPECT_GE(caught, 99);
}

TEST(ErrorRateTest, PlugInSprtCrossesOnAHandComputedSequence) {
  // Deltas per look: canary 100 requests with 4, 5, 6 errors; baseline 1900
  // with 19, 20, 18. Alternatives: look 1 has no past → 2 * min_increase = 3;
  // look 2: ((4+.5)/100)/((19+.5)/1900) = 4.3846; look 3: ((9+.5)/200)/((39+.5)/3800) = 4.5696.
  // log LR after each look (Python, from the formula in ErrorRateTest.h):
  // 2.20232 (LR 9.05 < 200), 5.68417 (LR 294 >= 200 → fail at look 2).
  ErrorRatePolicy p;
  p.method = ErrorRateMethod::kPlugIn;
  const std::vector<std::pair<ErrorCounts, ErrorCounts>> deltas{{{100, 4}, {1900, 19}}, {{100, 5}, {1900, 20}},
                                                                {{100, 6}, {1900, 18}}};
  const double ratios[] = {3.0, 4.384615384615384, 4.5696202531645564};
  const double logLr[] = {2.2023150191729686, 5.6841728112706855, 10.859321482881844};
  ErrorRateState st;
  ErrorCounts c{}, b{};
  for (size_t i = 0; i < deltas.size(); ++i) {
    EXPECT_NEAR(ErrorRateTest::plugInRatio(c, b, p), ratios[i], 1e-12) << "look " << i + 1;
    c = {c.requests + deltas[i].first.requests, c.errors + deltas[i].first.errors};
    b = {b.requests + deltas[i].second.requests, b.errors + deltas[i].second.errors};
    auto o = ErrorRateTest::look(st, c, b, p, spec());
    ASSERT_TRUE(o);
    st = o->state;
    EXPECT_NEAR(st.logLrPlugIn, logLr[i], 1e-9) << "look " << i + 1;
    EXPECT_NEAR(o->result.stats["plugin_ratio"].get<double>(), ratios[i], 1e-12);
    EXPECT_EQ(o->result.classification, i == 0 ? Classification::kInconclusive : Classification::kHigh)
        << "look " << i + 1 << ": " << o->result.reason;
  }
  // Clipping: an estimate below min_increase uses min_increase; above the grid, its largest ratio.
  EXPECT_DOUBLE_EQ(ErrorRateTest::plugInRatio({1000, 1}, {1000, 10}, p), 1.5);
  EXPECT_NEAR(ErrorRateTest::plugInRatio({1000, 500}, {1000, 1}, p), 6, 1e-12);
  // The state survives a round trip, and an old state without the plug-in field still loads.
  auto back = ErrorRateState::fromJson(st.toJson(), "s");
  ASSERT_TRUE(back);
  EXPECT_DOUBLE_EQ(back->logLrPlugIn, st.logLrPlugIn);
  auto old = st.toJson();
  old.erase("log_lr_plugin");
  ASSERT_TRUE(ErrorRateState::fromJson(old, "s"));
}

TEST(ErrorRateTest, FloorRouteUsesThePlugInRateOfPreviousLooks) {
  // Zero errors, objective 0.1%. Look 1 (3000 canary requests): q = d/4,
  // floor LR 9.501, evidence 0.5 + 0.5 * 9.501 = 5.25 < 10. Look 2 (+3000):
  // q = 0.5/3001 = 1.6661e-4, floor LR 115.94 (a fixed q = d/4 would give
  // 90.27) → pass.
  ErrorRatePolicy p;
  p.objective = 0.001;
  auto o = ErrorRateTest::look({}, {3000, 0}, {57000, 0}, p, spec());
  ASSERT_TRUE(o);
  EXPECT_NEAR(o->result.stats["likelihood_ratio_floor"].get<double>(), 9.501096710201377, 1e-9);
  EXPECT_NEAR(o->result.stats["pass_evidence"].get<double>(), 5.250548355100688, 1e-9);
  EXPECT_EQ(o->result.classification, Classification::kInconclusive);
  EXPECT_NEAR(ErrorRateTest::floorRate({3000, 0}, p), 0.00016661112962345885, 1e-15);
  // Clipped to [d/1000, d/4]: 0.5/101 is above d/4; 0.5/1e7 below d/1000.
  EXPECT_DOUBLE_EQ(ErrorRateTest::floorRate({100, 0}, p), 0.001 / 4);
  EXPECT_DOUBLE_EQ(ErrorRateTest::floorRate({10000000, 0}, p), 0.001 / 1000);
  o = ErrorRateTest::look(o->state, {6000, 0}, {114000, 0}, p, spec());
  ASSERT_TRUE(o);
  EXPECT_NEAR(o->result.stats["likelihood_ratio_floor"].get<double>() / 115.93540742496437, 1, 1e-9);
  EXPECT_EQ(o->result.classification, Classification::kPass) << o->result.reason;
}

TEST(ErrorRateTest, ObjectiveRouteKnownAnswer) {
  // Objective 1%, beta 0.1, zero errors, one look: floor LR
  // exp(n ln(0.9975/0.99)); n = 390 gives 18.98 (evidence 9.990), n = 391
  // gives 19.12 (evidence 10.06 >= 10): the first zero-error pass.
  ErrorRatePolicy p;
  p.objective = 0.01;
  auto before = ErrorRateTest::look({}, {390, 0}, {3510, 0}, p, spec());
  auto at = ErrorRateTest::look({}, {391, 0}, {3519, 0}, p, spec());
  ASSERT_TRUE(before && at);
  EXPECT_NEAR(before->result.stats["pass_evidence"].get<double>(), 9.990231602646633, 1e-9);
  EXPECT_EQ(before->result.classification, Classification::kInconclusive);
  EXPECT_NEAR(at->result.stats["pass_evidence"].get<double>(), 10.062127296606073, 1e-9);
  EXPECT_EQ(at->result.classification, Classification::kPass) << at->result.reason;
  EXPECT_NE(at->result.reason.find("within the objective"), std::string::npos) << at->result.reason;
  // Objective 0: no absolute route; the ratio route alone (weight 1) never
  // passes a service without errors.
  p.objective = 0;
  auto off = ErrorRateTest::look({}, {1000000, 0}, {9000000, 0}, p, spec());
  ASSERT_TRUE(off);
  EXPECT_EQ(off->result.classification, Classification::kInconclusive);
  EXPECT_DOUBLE_EQ(off->result.stats["pass_weight"].get<double>(), 1);
  EXPECT_DOUBLE_EQ(off->result.stats["pass_evidence"].get<double>(), 1);
}

TEST(ErrorRateTest, ObjectiveRoutePassesOnTheCanaryAloneWhenTheBaselineIsThin) {
  // The chaos soak's blue/green bake: a router restart inside the short
  // window before the switch left the baseline 0/6 (< min_requests 10)
  // against a canary's 0/663 at objective 5%: the objective route alone
  // (0.5 LR_floor) is far past 1/beta, so the thin baseline does not hold
  // the pass back.
  ErrorRatePolicy p;
  p.objective = 0.05;
  p.minRequests = 10;
  auto o = ErrorRateTest::look({}, {663, 0}, {6, 0}, p, spec());
  ASSERT_TRUE(o);
  EXPECT_EQ(o->result.classification, Classification::kPass) << o->result.reason;
  EXPECT_NE(o->result.reason.find("within the objective"), std::string::npos) << o->result.reason;
  // Too few canary requests still never pass, whatever the evidence.
  auto few = ErrorRateTest::look({}, {9, 0}, {6, 0}, p, spec());
  ASSERT_TRUE(few);
  EXPECT_EQ(few->result.classification, Classification::kInconclusive) << few->result.reason;
  // Without an objective the ratio route needs the baseline: low traffic.
  p.objective = 0;
  auto off = ErrorRateTest::look({}, {663, 0}, {6, 0}, p, spec());
  ASSERT_TRUE(off);
  EXPECT_EQ(off->result.classification, Classification::kInconclusive) << off->result.reason;
  EXPECT_NE(off->result.reason.find("low traffic"), std::string::npos) << off->result.reason;
  // The objective route's evidence alone not yet enough: the baseline gate stays.
  p.objective = 0.01;
  auto thin = ErrorRateTest::look({}, {300, 0}, {6, 0}, p, spec());
  ASSERT_TRUE(thin);
  EXPECT_EQ(thin->result.classification, Classification::kInconclusive) << thin->result.reason;
}

TEST(ErrorRateTest, ObjectiveRouteWrongPassRateIsBounded) {
  // The pass's null at its edge: the canary errs exactly at the objective
  // (1%) and 1.5x the baseline. 400 such canaries looked at every 100
  // requests up to 20,000: Ville bounds the passes by beta (0.1 → 40
  // expected at most); allow 52 (+2 sd) before calling it broken. A canary at
  // a fifth of the objective must pass nearly always (power).
  ErrorRatePolicy p;
  p.objective = 0.01;
  std::mt19937_64 rng(23);
  auto run = [&](double canaryRate, double baselineRate) {
    ErrorRateState st;
    ErrorCounts c{}, b{};
    for (int t = 0; t < 200; ++t) {
      std::binomial_distribution<uint64_t> ec(100, canaryRate), eb(900, baselineRate);
      c = {c.requests + 100, c.errors + ec(rng)};
      b = {b.requests + 900, b.errors + eb(rng)};
      auto o = ErrorRateTest::look(st, c, b, p, spec());
      st = o->state;
      if (st.decision > 0) return true;
    }
    return false;
  };
  int wrongPasses = 0, passes = 0;
  for (int i = 0; i < 400; ++i) wrongPasses += run(0.01, 0.01 / 1.5);
  for (int i = 0; i < 100; ++i) passes += run(0.002, 0.002);
  EXPECT_LE(wrongPasses, 52);
  EXPECT_GE(passes, 99);
}

TEST(ErrorRateTest, ForecastAtTheCurrentRates) {
  // 200 canary requests without errors, objective 1%: floor LR
  // exp(200 ln(0.9975/0.99)) = 4.524 (log 1.50944); at the current rate
  // (0 errors) every request adds ln((1-q)/(1-d)) with q = 0.5/201 =
  // 0.0024876: 0.00755967. The pass needs log LR_floor >= ln 19 (evidence
  // 0.5 + 0.5 LR_floor >= 10): (2.94444 - 1.50944)/0.00755967 = 189.82 → 190
  // more. No errors anywhere: no fail is in sight.
  ErrorRatePolicy p;
  p.objective = 0.01;
  auto o = ErrorRateTest::look({}, {200, 0}, {1800, 0}, p, spec());
  ASSERT_TRUE(o);
  const auto& f = o->result.stats["forecast"];
  EXPECT_EQ(f["pass_requests"], 190) << f;
  EXPECT_TRUE(f["fail_requests"].is_null()) << f;
  // A x5 canary: the fail is forecast, the pass is not.
  auto bad = ErrorRateTest::look({}, {1000, 50}, {9000, 90}, ErrorRatePolicy{}, spec());
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->result.classification, Classification::kHigh);
  EXPECT_EQ(bad->result.stats["forecast"]["fail_requests"], 0);
  auto early = ErrorRateTest::look({}, {100, 3}, {900, 5}, ErrorRatePolicy{}, spec());
  ASSERT_TRUE(early);
  ASSERT_EQ(early->result.classification, Classification::kInconclusive) << early->result.reason;
  EXPECT_GT(early->result.stats["forecast"]["fail_requests"].get<double>(), 0) << early->result.stats["forecast"];
  EXPECT_TRUE(early->result.stats["forecast"]["pass_requests"].is_null()) << early->result.stats["forecast"];
}

TEST(ErrorRateTest, PlugInFalseFailRateUnderContinuousMonitoringIsBounded) {
  // As below, for the plug-in method: 400 healthy canaries looked at every
  // second for 300 s; Ville bounds false fails by alpha (2 expected), allow 6.
  ErrorRatePolicy p;
  p.method = ErrorRateMethod::kPlugIn;
  std::mt19937_64 rng(17);
  int falseFails = 0, caught = 0;
  for (int i = 0; i < 400; ++i) falseFails += failsWithinFiveMinutes(rng, p, 0.01);
  for (int i = 0; i < 100; ++i) caught += failsWithinFiveMinutes(rng, p, 0.03);
  EXPECT_LE(falseFails, 6);
  EXPECT_GE(caught, 99);
}
