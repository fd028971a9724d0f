// The bounded-harm rule at a step's deadline (HarmBound.h): exact one-sided
// bounds, the rule's decisions as a table, and its wrong-pass rate at the
// stated harm.
//
// Known answers: Clopper–Pearson bounds from closed forms where they exist
// (k = 0: 1 - a^(1/n); k = n - 1: (1 - a)^(1/n)) and otherwise from a
// hand-written Python bisection on sum(comb(n, i) p^i (1-p)^(n-i)) with exact
// integer binomial coefficients (e.g. 5/100 at 95%: 0.1022534, the textbook
// value); the ratio bound r_U = t/(1-t) * nb/nc from that t.
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "analysis/HarmBound.h"

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
