// The bounded-harm rules at a step's deadline (HarmBound.h), for the error
// rate and for latency: exact one-sided bounds, the rules' decisions as
// tables, and their wrong-pass rates at the stated harm.
//
// Known answers: Clopper–Pearson bounds from closed forms where they exist
// (k = 0: 1 - a^(1/n); k = n - 1: (1 - a)^(1/n)) and otherwise from a
// hand-written Python bisection on sum(comb(n, i) p^i (1-p)^(n-i)) with exact
// integer binomial coefficients (e.g. 5/100 at 95%: 0.1022534, the textbook
// value); the ratio bound r_U = t/(1-t) * nb/nc from that t.
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "analysis/HarmBound.h"
#include "analysis/LatencySample.h"
#include "analysis/Normal.h"

using namespace ramp::analysis;

namespace {

struct UpperCase {
  uint64_t k, n;
  double a, expected;
};

class BinomialUpper : public ::testing::TestWithParam<UpperCase> {};

ErrorRatePolicy rule(double tolerance, double objective = 0.005) {
  ErrorRatePolicy p;  // beta 0.1, min_requests 100
  p.tolerance = tolerance;
  p.objective = objective;
  return p;
}

}  // namespace

TEST_P(BinomialUpper, KnownAnswers) {
  const auto& c = GetParam();
  EXPECT_NEAR(HarmBound::binomialUpper(c.k, c.n, c.a), c.expected, 1e-9) << c.k << "/" << c.n << " a " << c.a;
}

INSTANTIATE_TEST_SUITE_P(HarmBound, BinomialUpper,
                         ::testing::Values(UpperCase{0, 100, 0.05, 0.029513049607039932},   // 1 - 0.05^(1/100)
                                           UpperCase{99, 100, 0.05, 0.9994871985837377},    // 0.95^(1/100)
                                           UpperCase{100, 100, 0.05, 1},
                                           UpperCase{5, 100, 0.05, 0.10225337764327452},
                                           UpperCase{18, 180, 0.025, 0.15343503165283465},
                                           UpperCase{3, 1800, 0.025, 0.004862909744012101}));

TEST(HarmBound, RatioUpperBoundIsConditionalOnBothFleetsErrors) {
  // 18 of the 180 errors on a 10% canary: t = 0.1534350 -> r_U = t/(1-t) * 9.
  EXPECT_NEAR(HarmBound::ratioUpper({1800, 18}, {16200, 162}, 0.025), 1.6311982381831993, 1e-8);
  // No errors anywhere: a ratio cannot be bounded.
  EXPECT_TRUE(std::isinf(HarmBound::ratioUpper({1800, 0}, {16200, 0}, 0.025)));
  // Every error on the canary: unbounded as well.
  EXPECT_TRUE(std::isinf(HarmBound::ratioUpper({1800, 5}, {16200, 0}, 0.025)));
}

struct RuleCase {
  const char* name;
  ErrorCounts canary, baseline;
  double tolerance;
  bool pass;
  const char* route;  // "" when no pass
  bool enoughTraffic;
};

class AtTheDeadline : public ::testing::TestWithParam<RuleCase> {};

TEST_P(AtTheDeadline, Decides) {
  const auto& c = GetParam();
  const ErrorRateHarm h = HarmBound::errorRate(c.canary, c.baseline, rule(c.tolerance));
  EXPECT_EQ(h.pass, c.pass) << h.sentence();
  EXPECT_EQ(h.route, c.route) << h.sentence();
  EXPECT_EQ(h.enoughTraffic, c.enoughTraffic);
  EXPECT_EQ(h.applies, c.tolerance > 0);
  if (h.applies) {
    EXPECT_DOUBLE_EQ(h.level, 0.025);  // beta 0.1: half to the rule, split over 2 routes
  }
}

INSTANTIATE_TEST_SUITE_P(
    HarmBound, AtTheDeadline,
    ::testing::Values(
        // Errs like its baseline (1%): r_U = 1.63 < 2.5.
        RuleCase{"HealthyErringCanaryPassesOnTheRatio", {1800, 18}, {16200, 162}, 1.5, true, "ratio", true},
        // The same data cannot rule out x1.5.
        RuleCase{"ASmallTolerancePassesNothingHere", {1800, 18}, {16200, 162}, 0.5, false, "", true},
        // x3 worse: not ruled out (the fail side decides about it, not this rule).
        RuleCase{"AWorseCanaryDoesNotPass", {1800, 54}, {16200, 162}, 1.5, false, "", true},
        // No errors anywhere: 1 - 0.025^(1/1800) = 0.20% < 0.5%.
        RuleCase{"ZeroErrorsPassOnTheObjective", {1800, 0}, {16200, 0}, 1.5, true, "objective", true},
        // 300 error-free requests only bound the rate at 1.22%.
        RuleCase{"TooFewRequestsToBoundTheRate", {300, 0}, {2700, 0}, 1.5, false, "", true},
        // Below min_requests (100) on the canary: never a pass.
        RuleCase{"BelowMinRequestsNeverPasses", {90, 0}, {16200, 162}, 1.5, false, "", false},
        // The rule off: nothing passes at the deadline.
        RuleCase{"OffWithoutATolerance", {1800, 18}, {16200, 162}, 0, false, "", true}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(HarmBound, SequentialAndDeadlineShareBeta) {
  EXPECT_DOUBLE_EQ(rule(0).sequentialBeta(), 0.1);       // off: the sequential pass keeps all of beta
  EXPECT_DOUBLE_EQ(rule(1.5).sequentialBeta(), 0.05);    // on: half
  EXPECT_DOUBLE_EQ(rule(1.5).deadlineLevel(), 0.025);    // and a quarter per route
  EXPECT_DOUBLE_EQ(rule(1.5, 0).deadlineLevel(), 0.05);  // one route without an objective
}

// A canary exactly at the stated harm passes through the rule at most with
// probability `level` per route: 4,000 deadlines each, the bound + 3 sigma.
TEST(HarmBound, WrongPassRateAtTheStatedHarmIsBounded) {
  std::mt19937_64 rng(17);
  struct Harm {
    const char* name;
    double pc, pb;
    uint64_t nc, nb;
  };
  // At the ratio limit (1% baseline, tolerance 1.5: the canary errs 2.5%),
  // and at the objective (0.5%) with an error-free baseline.
  for (const Harm& m : {Harm{"ratio", 0.025, 0.01, 1800, 16200}, Harm{"objective", 0.005, 0.0, 1800, 16200},
                        Harm{"ratio, 50% step", 0.025, 0.01, 9000, 9000}}) {
    const int runs = 4000;
    int passed = 0;
    for (int i = 0; i < runs; ++i) {
      std::binomial_distribution<uint64_t> c(m.nc, m.pc), b(m.nb, m.pb);
      passed += HarmBound::errorRate({m.nc, c(rng)}, {m.nb, b(rng)}, rule(1.5)).pass;
    }
    const double a = 0.025, bound = a + 3 * std::sqrt(a * (1 - a) / runs);
    EXPECT_LE(double(passed) / runs, bound) << m.name << ": " << passed << " of " << runs;
  }
}

// ---- latency: distribution-free bounds on the medians (latency_deadline_tolerance) ----
//
// Ranks by exact rational arithmetic (Python fractions: sum(comb(n, i)) /
// 2^n and, for q = 0.9 / 0.99, sum(comb(n, i) q^i (1-q)^(n-i))): the
// smallest k with P(Bin(n, q) <= k - 1) >= 1 - a, the largest j with
// P(Bin(n, q) <= j - 1) <= a. For q = 1/2, lowerRank = n + 1 - upperRank.

struct RankCase {
  uint64_t n;
  double q, a;
  uint64_t upper, lower;
};

class QuantileRanks : public ::testing::TestWithParam<RankCase> {};

TEST_P(QuantileRanks, KnownAnswers) {
  const auto& c = GetParam();
  EXPECT_EQ(HarmBound::upperRank(c.n, c.q, c.a), c.upper) << "n " << c.n << " q " << c.q << " a " << c.a;
  EXPECT_EQ(HarmBound::lowerRank(c.n, c.q, c.a), c.lower) << "n " << c.n << " q " << c.q << " a " << c.a;
}

INSTANTIATE_TEST_SUITE_P(HarmBound, QuantileRanks,
                         ::testing::Values(RankCase{10, 0.5, 0.05, 9, 2},      // P(<= 8) = 0.989, P(<= 1) = 0.011
                                           RankCase{1, 0.5, 0.05, 2, 0},       // one value bounds nothing
                                           RankCase{0, 0.5, 0.05, 1, 0},       // no values
                                           RankCase{50, 0.5, 0.0125, 34, 17},  // min_samples at beta 0.1 / 8
                                           RankCase{100, 0.5, 0.025, 61, 40},
                                           RankCase{600, 0.5, 0.0125, 328, 273},
                                           RankCase{100, 0.9, 0.05, 96, 85},
                                           RankCase{100, 0.99, 0.05, 101, 97}));  // p99 of 100 values: no upper bound

namespace {

// n values at the quantiles (i + 1/2)/n of a log-normal with median
// `medianMs` (sigma 0.5): an "ideal" sample, the same every run.
std::vector<double> logNormalMs(size_t n, double medianMs) {
  std::vector<double> v;
  for (size_t i = 0; i < n; ++i) {
    const double p = (static_cast<double>(i) + 0.5) / static_cast<double>(n);
    const double z = p < 0.5 ? -Normal::upperQuantile(p) : Normal::upperQuantile(1 - p);
    v.push_back(medianMs * std::exp(0.5 * z));
  }
  return v;
}

LatencySample samples(const std::vector<double>& ms) { return *LatencySample::fromSamples(ms, "t"); }

// The same values in the router's 5% buckets (0.1 ms .. 60 s, +inf).
LatencySample bucketed(const std::vector<double>& ms) {
  std::vector<double> bounds;
  for (double b = 0.1; b < 60000; b *= 1.05) bounds.push_back(b);
  bounds.push_back(INFINITY);
  std::vector<uint64_t> counts(bounds.size(), 0);
  for (double v : ms) ++counts[std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin()];
  return *LatencySample::fromHistogram(bounds, counts, "t");
}

LatencyPolicy latencyRule(double tolerance) {
  LatencyPolicy p;  // min_samples 50, min_shift_ms 1
  p.deadlineTolerance = tolerance;
  return p;
}

struct LatencyCase {
  const char* name;
  size_t canaryN;
  double canaryMedianMs;
  size_t baselineN;
  double baselineMedianMs;
  double tolerance;
  Direction direction;
  bool histogram;
  bool pass, enoughSamples;
};

class LatencyAtTheDeadline : public ::testing::TestWithParam<LatencyCase> {};

}  // namespace

TEST_P(LatencyAtTheDeadline, Decides) {
  const auto& c = GetParam();
  auto canary = logNormalMs(c.canaryN, c.canaryMedianMs), baseline = logNormalMs(c.baselineN, c.baselineMedianMs);
  const LatencyHarm h = c.histogram ? HarmBound::latency(bucketed(canary), bucketed(baseline), latencyRule(c.tolerance),
                                                         c.direction, 0.0125)
                                    : HarmBound::latency(samples(canary), samples(baseline), latencyRule(c.tolerance),
                                                         c.direction, 0.0125);
  EXPECT_EQ(h.pass, c.pass) << h.sentence();
  EXPECT_EQ(h.enoughSamples, c.enoughSamples) << h.sentence();
  EXPECT_EQ(h.applies, c.tolerance > 0);
  if (h.applies && h.enoughSamples && c.direction == Direction::kIncrease) {
    // The bounds bracket the medians they bound.
    EXPECT_GT(h.canaryUpperMs, c.canaryMedianMs);
    EXPECT_LT(h.baselineLowerMs, c.baselineMedianMs);
    EXPECT_DOUBLE_EQ(h.limitUpMs, std::max(h.baselineLowerMs * (1 + c.tolerance), h.baselineLowerMs + 1));
  }
}

// 600 vs 5,400 values: a 10% canary at 2 req/s for a 5-minute step.
INSTANTIATE_TEST_SUITE_P(
    HarmBound, LatencyAtTheDeadline,
    ::testing::Values(
        LatencyCase{"LikeItsBaselinePasses", 600, 40, 5400, 40, 0.5, Direction::kIncrease, false, true, true},
        LatencyCase{"LikeItsBaselineInBucketsPasses", 600, 40, 5400, 40, 0.5, Direction::kIncrease, true, true, true},
        // x1.2 slower: more than latency_tolerance (0.1), less than the stated harm (x1.5).
        LatencyCase{"SlowerWithinTheHarmPasses", 600, 48, 5400, 40, 0.5, Direction::kIncrease, false, true, true},
        LatencyCase{"SlowerThanTheHarmDoesNot", 600, 64, 5400, 40, 0.5, Direction::kIncrease, false, false, true},
        LatencyCase{"ASmallToleranceRulesOutLess", 600, 40, 5400, 40, 0.05, Direction::kIncrease, false, false, true},
        // Sub-millisecond: a shift under min_shift_ms (1 ms) is never harm, x2.5 or not.
        LatencyCase{"UnderTheMillisecondFloorPasses", 600, 0.5, 5400, 0.2, 0.5, Direction::kIncrease, false, true,
                    true},
        LatencyCase{"TooFewSamples", 40, 40, 5400, 40, 0.5, Direction::kIncrease, false, false, false},
        LatencyCase{"OffWithoutATolerance", 600, 40, 5400, 40, 0, Direction::kIncrease, false, false, true},
        // Direction decrease (lower is worse): a canary twice as fast is harm, one like its baseline is not.
        LatencyCase{"DecreaseLikeItsBaselinePasses", 600, 40, 5400, 40, 0.5, Direction::kDecrease, false, true, true},
        LatencyCase{"DecreaseMuchLowerDoesNot", 600, 20, 5400, 40, 0.5, Direction::kDecrease, false, false, true},
        LatencyCase{"EitherNeedsBothSides", 600, 64, 5400, 40, 0.5, Direction::kEither, false, false, true}),
    [](const auto& info) { return std::string(info.param.name); });

// A canary whose median is exactly at the stated harm (x1.5 the baseline's)
// passes through the rule at most with probability 2a (a per bound): 1,000
// deadlines of random log-normal samples, the bound + 3 sigma. And a
// canary like its baseline passes almost always (the rule is useful).
TEST(HarmBound, LatencyWrongPassRateAtTheStatedHarmIsBounded) {
  std::mt19937_64 rng(17);
  const double a = 0.0125;
  auto draw = [&](size_t n, double medianMs) {
    std::lognormal_distribution<double> d(std::log(medianMs), 0.5);
    std::vector<double> v(n);
    for (auto& x : v) x = d(rng);
    return v;
  };
  const int runs = 1000;
  int harmful = 0, healthy = 0;
  for (int i = 0; i < runs; ++i) {
    const auto base = samples(draw(2700, 40));
    harmful += HarmBound::latency(samples(draw(300, 60)), base, latencyRule(0.5), Direction::kIncrease, a).pass;
    healthy += HarmBound::latency(samples(draw(300, 40)), base, latencyRule(0.5), Direction::kIncrease, a).pass;
  }
  const double bound = 2 * a + 3 * std::sqrt(2 * a * (1 - 2 * a) / runs);
  EXPECT_LE(double(harmful) / runs, bound) << harmful << " of " << runs;
  EXPECT_GE(healthy, runs * 99 / 100) << healthy << " of " << runs;
}

TEST(HarmBound, LatencyLevelIsAnEighthOfBeta) {
  JudgeConfig c = JudgeConfig::defaults();
  EXPECT_DOUBLE_EQ(c.latencyDeadlineLevel(), 0.0125);  // beta 0.1: the rule's two bounds share beta / 4
}
