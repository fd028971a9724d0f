// Scoring: critical metrics, thresholds, no-data, sequential pass/fail bounds.
#include <gtest/gtest.h>

#include "analysis/Scorecard.h"

using namespace ramp::analysis;

namespace {

MetricResult m(const char* name, Classification c, bool critical = false, const char* group = nullptr) {
  MetricResult r;
  r.name = name;
  r.group = group ? group : name;
  r.kind = MetricKind::kLatency;
  r.critical = critical;
  r.classification = c;
  r.reason = std::string("reason of ") + name;
  return r;
}

constexpr auto P = Classification::kPass;
constexpr auto H = Classification::kHigh;
constexpr auto L = Classification::kLow;
constexpr auto N = Classification::kNoData;
constexpr auto I = Classification::kInconclusive;

}  // namespace

struct ScoreCase {
  const char* name;
  std::vector<MetricResult> metrics;
  bool final;
  Outcome expected;
  double score;
  const char* reasonHas;
};

class ScoreTable : public ::testing::TestWithParam<ScoreCase> {};

TEST_P(ScoreTable, Verdict) {
  const auto& c = GetParam();
  JudgeConfig cfg = JudgeConfig::defaults();  // pass 95, marginal 75
  Verdict v = Scorecard::score(c.metrics, cfg, c.final);
  EXPECT_EQ(v.outcome, c.expected) << v.reason;
  EXPECT_DOUBLE_EQ(v.score, c.score) << v.reason;
  EXPECT_NE(v.reason.find(c.reasonHas), std::string::npos) << v.reason;
}

INSTANTIATE_TEST_SUITE_P(
    Table, ScoreTable,
    ::testing::Values(
        ScoreCase{"all_pass", {m("a", P), m("b", P), m("c", L)}, false, Outcome::kPass, 100, "score 100 >= pass 95"},
        ScoreCase{"critical_forces_fail", {m("a", H, true), m("b", P), m("c", P), m("d", P)}, false, Outcome::kFail, 0,
                  "critical metric a failed: reason of a"},
        // one of four non-critical fails: 75 → marginal, final → inconclusive
        ScoreCase{"marginal", {m("a", H), m("b", P), m("c", P), m("d", P)}, true, Outcome::kInconclusive, 75,
                  "score 75 is marginal"},
        ScoreCase{"two_of_four_fail", {m("a", H), m("b", H), m("c", P), m("d", P)}, false, Outcome::kFail, 50,
                  "score 50 < marginal 75"},
        // undecided counts both ways: 3 pass + 1 undecided → pessimistic 75 < 95: continue
        ScoreCase{"undecided_continue", {m("a", I), m("b", P), m("c", P), m("d", P)}, false, Outcome::kContinue, 75,
                  "waiting for evidence on a"},
        ScoreCase{"undecided_final", {m("a", I), m("b", P), m("c", P), m("d", P)}, true, Outcome::kInconclusive, 75,
                  "no decision on a"},
        // 2 fail + 1 undecided of 4: optimistic 50 < 75 → fail already
        ScoreCase{"fail_before_all_decided", {m("a", H), m("b", H), m("c", I), m("d", P)}, false, Outcome::kFail, 50,
                  "< marginal"},
        ScoreCase{"half_nodata", {m("a", N), m("b", P)}, true, Outcome::kInconclusive, 100, "1 of 2 metrics have no data"},
        ScoreCase{"half_nodata_continue", {m("a", N), m("b", N), m("c", P), m("d", P)}, false, Outcome::kContinue, 100,
                  "no data"},
        // critical metric without data can never pass
        ScoreCase{"critical_nodata_blocks_pass", {m("a", N, true), m("b", P), m("c", P)}, true, Outcome::kInconclusive,
                  100, "no decision on a"},
        // groups: g1 = {a, b} one fails → 50, g2 = {c} → 100; equal shares → 75
        ScoreCase{"groups", {m("a", H, false, "g1"), m("b", P, false, "g1"), m("c", P, false, "g2")}, true,
                  Outcome::kInconclusive, 75, "marginal"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Scorecard, GroupWeights) {
  JudgeConfig cfg = JudgeConfig::defaults();
  cfg.groupWeights = {{"g1", 80}};  // g2 gets the remaining 20
  Verdict v = Scorecard::score({m("a", H, false, "g1"), m("b", P, false, "g1"), m("c", P, false, "g2")}, cfg, true);
  EXPECT_DOUBLE_EQ(v.score, 60);  // 0.8*50 + 0.2*100
  EXPECT_EQ(v.outcome, Outcome::kFail);
  EXPECT_DOUBLE_EQ(v.details["groups"]["g2"]["weight"].get<double>(), 20);
}
