// Known answers for the Mann–Whitney test and the normal helpers.
//
// Expected values were computed by hand-written Python (no scipy on the
// machine): U by enumerating all m*n pairs (ties 1/2), the tie-corrected
// variance m*n/12*((N+1) - sum(t^3-t)/(N(N-1))), z with a 1/2 continuity
// correction, p = erfc(|z|/sqrt 2), and the Hodges–Lehmann ratio as exp of the
// median of all pairwise log differences. The session is in docs/analysis.md.
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "analysis/LatencySample.h"
#include "analysis/MannWhitney.h"
#include "analysis/Normal.h"

using namespace ramp::analysis;

TEST(Normal, QuantilesAndTails) {
  EXPECT_NEAR(Normal::upperQuantile(0.025), 1.959963984540054, 1e-9);
  EXPECT_NEAR(Normal::upperQuantile(0.005), 2.5758293035489, 1e-9);
  EXPECT_NEAR(Normal::upperQuantile(0.5), 0.0, 1e-12);
  EXPECT_NEAR(Normal::twoSidedP(1.959963984540054), 0.05, 1e-12);
  EXPECT_NEAR(Normal::upperTail(-1.0), 0.8413447460685429, 1e-12);
}

struct MwCase {
  const char* name;
  std::vector<double> canary, baseline;
  double u, sigma, z, p, hlRatio;
};

class MannWhitneyKnown : public ::testing::TestWithParam<MwCase> {};

TEST_P(MannWhitneyKnown, MatchesHandComputation) {
  const auto& c = GetParam();
  auto a = LatencySample::fromSamples(c.canary, "canary");
  auto b = LatencySample::fromSamples(c.baseline, "baseline");
  ASSERT_TRUE(a && b);
  auto r = MannWhitney::test(*a, *b, 0.95);
  EXPECT_DOUBLE_EQ(r.u, c.u);
  EXPECT_NEAR(r.sigma, c.sigma, 1e-9);
  EXPECT_NEAR(r.z, c.z, 1e-9);
  EXPECT_NEAR(r.p, c.p, 1e-9);
  EXPECT_NEAR(std::exp(r.shiftLog), c.hlRatio, 1e-6);
  EXPECT_LE(r.ciLowLog, r.shiftLog);
  EXPECT_GE(r.ciHighLog, r.shiftLog);
}

INSTANTIATE_TEST_SUITE_P(
    Table, MannWhitneyKnown,
    ::testing::Values(
        // No ties: U = 3+4+2+4+4 = 17, sigma = sqrt(5*4*10/12), z = (17-10-0.5)/sigma.
        MwCase{"no_ties", {19, 22, 16, 29, 24}, {20, 11, 17, 12}, 17, 4.08248290463863, 1.5921683328090657,
               0.11134688653314048, 1.4522709489247898},
        // Ties across and within groups: U = 5.5, tie groups {2:3, 3:4, 4:2, 1:1}.
        MwCase{"ties", {1, 2, 2, 3, 3, 3}, {2, 3, 4, 4}, 5.5, 4.47213595499958, -1.3416407864998738,
               0.17971249487899985, 0.75}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(MannWhitney, AllIdenticalHasNoSpread) {
  auto a = LatencySample::fromSamples({5, 5, 5, 5}, "canary");
  auto b = LatencySample::fromSamples({5, 5, 5}, "baseline");
  auto r = MannWhitney::test(*a, *b, 0.95);
  EXPECT_DOUBLE_EQ(r.u, 6);   // 12 tied pairs, 1/2 each
  EXPECT_DOUBLE_EQ(r.sigma, 0);
  EXPECT_DOUBLE_EQ(r.p, 1);
}

TEST(MannWhitney, HistogramEqualsSamplesAtBucketCentres) {
  // Bounds 1,2,4,8,+inf: bucket centres (geometric means) are 0.707, 1.414,
  // 2.83, 5.66, 11.3. Samples placed on the centres give the same ties, so U,
  // sigma and z must agree exactly with the histogram.
  std::vector<double> bounds{1, 2, 4, 8, INFINITY};
  std::vector<uint64_t> hc{1, 3, 5, 2, 1}, hb{2, 4, 3, 1, 0};
  std::vector<double> centres{std::sqrt(0.5), std::sqrt(2.0), std::sqrt(8.0), std::sqrt(32.0), std::sqrt(128.0)};
  std::vector<double> sc, sb;
  for (size_t i = 0; i < centres.size(); ++i) {
    for (uint64_t k = 0; k < hc[i]; ++k) sc.push_back(centres[i]);
    for (uint64_t k = 0; k < hb[i]; ++k) sb.push_back(centres[i]);
  }
  auto hC = LatencySample::fromHistogram(bounds, hc, "canary");
  auto hB = LatencySample::fromHistogram(bounds, hb, "baseline");
  auto sC = LatencySample::fromSamples(sc, "canary");
  auto sB = LatencySample::fromSamples(sb, "baseline");
  ASSERT_TRUE(hC && hB && sC && sB);
  auto h = MannWhitney::test(*hC, *hB, 0.95);
  auto s = MannWhitney::test(*sC, *sB, 0.95);
  EXPECT_DOUBLE_EQ(h.u, s.u);
  EXPECT_NEAR(h.sigma, s.sigma, 1e-9);
  EXPECT_NEAR(h.z, s.z, 1e-9);
  // Hand count: U = sum over canary buckets of (below + tied/2) * count.
  // bucket0: 1*(0+2/2)=1; b1: 3*(2+4/2)=12; b2: 5*(6+3/2)=37.5; b3: 2*(9+1/2)=19; b4: 1*(10+0)=10 → 79.5
  EXPECT_DOUBLE_EQ(h.u, 79.5);
}

TEST(MannWhitney, LargeHistogramAgreesWithRawSamples) {
  // Router-like bounds (0.1 ms * 1.05^k); lognormal median 50 ms, sigma 0.5;
  // canary 20% slower. Bucketing must not move z or the shift much.
  std::vector<double> bounds;
  for (double v = 0.1; v < 60000; v *= 1.05) bounds.push_back(v);
  bounds.push_back(60000);
  bounds.push_back(INFINITY);
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> base(std::log(50.0), 0.5), slow(std::log(60.0), 0.5);
  std::vector<double> sc, sb;
  std::vector<uint64_t> hc(bounds.size()), hb(bounds.size());
  auto bucket = [&](double v) {
    return static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin());
  };
  for (int i = 0; i < 2000; ++i) {
    double v = slow(rng);
    sc.push_back(v);
    ++hc[bucket(v)];
  }
  for (int i = 0; i < 3000; ++i) {
    double v = base(rng);
    sb.push_back(v);
    ++hb[bucket(v)];
  }
  auto s = MannWhitney::test(*LatencySample::fromSamples(sc, "c"), *LatencySample::fromSamples(sb, "b"), 0.99);
  auto h = MannWhitney::test(*LatencySample::fromHistogram(bounds, hc, "c"),
                             *LatencySample::fromHistogram(bounds, hb, "b"), 0.99);
  EXPECT_NEAR(h.z, s.z, 0.05 * std::fabs(s.z));
  EXPECT_NEAR(std::exp(h.shiftLog), std::exp(s.shiftLog), 0.01);
  EXPECT_NEAR(std::exp(h.ciLowLog), std::exp(s.ciLowLog), 0.01);
  EXPECT_NEAR(std::exp(h.ciHighLog), std::exp(s.ciHighLog), 0.01);
  EXPECT_NEAR(std::exp(s.shiftLog), 1.2, 0.04);  // the true ratio
}

TEST(LatencySample, BadInputNamesTheField) {
  auto r = LatencySample::fromHistogram({1, 3, 2, INFINITY}, {1, 1, 1, 1}, "canary.latency");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().where, "canary.latency.bounds[2]");
  r = LatencySample::fromHistogram({1, 2, 3}, {1, 1, 1}, "canary.latency");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().where, "canary.latency.bounds[2]");
  EXPECT_NE(r.error().message.find("+inf"), std::string::npos);
  r = LatencySample::fromHistogram({1, 2, INFINITY}, {1, 1}, "baseline.latency");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().where, "baseline.latency.counts");
  r = LatencySample::fromSamples({1, 2, -3}, "canary.latency");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().where, "canary.latency.samples[2]");
}

TEST(LatencySample, NanRemovedAndOutliers) {
  auto r = LatencySample::fromSamples({1, NAN, 2, 3, NAN}, "c");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->nanRemoved(), 2u);
  EXPECT_DOUBLE_EQ(r->count(), 3);
  EXPECT_DOUBLE_EQ(r->medianMs(), 2);
  auto o = LatencySample::fromSamples({10, 11, 12, 10, 11, 12, 10, 11, 5000}, "c", 3.0);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->outliersRemoved(), 1u);
  auto keep = LatencySample::fromSamples({10, 11, 12, 10, 11, 12, 10, 11, 5000}, "c", 0);
  EXPECT_EQ(keep->outliersRemoved(), 0u);
}
