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

TEST(Scorecard, MetricWeightsWithinAGroup) {
  // One group: a (weight 3) passes, b (weight 1) fails → 3/4 = 75: marginal,
  // not a fail. With equal weights the same results score 50: a fail.
  JudgeConfig cfg = JudgeConfig::defaults();
  auto a = m("a", P, false, "g"), b = m("b", H, false, "g");
  a.weight = 3;
  Verdict v = Scorecard::score({a, b}, cfg, true);
  EXPECT_DOUBLE_EQ(v.score, 75) << v.reason;
  EXPECT_EQ(v.outcome, Outcome::kInconclusive) << v.reason;
  a.weight = 1;
  v = Scorecard::score({a, b}, cfg, true);
  EXPECT_DOUBLE_EQ(v.score, 50) << v.reason;
  EXPECT_EQ(v.outcome, Outcome::kFail) << v.reason;
}

TEST(Scorecard, ReasonNamesEveryMetric) {
  // The low-traffic pause of the issue: latency has no data, the error rate
  // is undecided but has evidence; the reason must carry both.
  JudgeConfig cfg = JudgeConfig::defaults();
  auto er = m("error_rate", I, true, "errors");
  er.reason = "error rate 20.00% (3/15) vs baseline 0.00% (0/285): evidence of harm 13.6 (fail at 200)";
  auto lat = m("latency", N, false, "latency");
  lat.reason = "15 vs 285 samples, fewer than 50 on the canary — no data";
  for (bool final : {false, true}) {
    Verdict v = Scorecard::score({er, lat}, cfg, final);
    EXPECT_NE(v.reason.find("error_rate: error rate 20.00% (3/15)"), std::string::npos) << v.reason;
    EXPECT_NE(v.reason.find("evidence of harm 13.6"), std::string::npos) << v.reason;
    EXPECT_NE(v.reason.find("latency: 15 vs 285 samples"), std::string::npos) << v.reason;
  }
  // A critical failure still leads with its own sentence, then the others.
  auto bad = m("a", H, true);
  Verdict f = Scorecard::score({bad, m("b", P)}, cfg, false);
  EXPECT_EQ(f.reason, "critical metric a failed: reason of a; b: reason of b");
}

TEST(Scorecard, ForecastOfTheVerdict) {
  // a needs 300 more requests to pass, b 500; a fail of the critical metric
  // c is forecast at 800: the verdict passes after 500 (both must pass), and
  // fails after 800 if c's trend continues instead.
  JudgeConfig cfg = JudgeConfig::defaults();
  auto a = m("a", I), b = m("b", I), c = m("c", I, true);
  a.stats["forecast"] = {{"pass_requests", 300}, {"fail_requests", nullptr}};
  b.stats["forecast"] = {{"pass_requests", 500}, {"fail_requests", nullptr}};
  c.stats["forecast"] = {{"pass_requests", 100}, {"fail_requests", 800}};
  Verdict v = Scorecard::score({a, b, c}, cfg, false);
  const auto& f = v.details["forecast"];
  EXPECT_EQ(f["pass_requests"], 500) << f;
  EXPECT_EQ(f["fail_requests"], 800) << f;
  EXPECT_EQ(f["requests"], 500) << f;
  EXPECT_EQ(f["decision"], "pass") << f;
  // b's pass not in sight: no pass forecast; the fail is the prediction.
  b.stats["forecast"]["pass_requests"] = nullptr;
  v = Scorecard::score({a, b, c}, cfg, false);
  EXPECT_TRUE(v.details["forecast"]["pass_requests"].is_null()) << v.details["forecast"];
  EXPECT_EQ(v.details["forecast"]["decision"], "fail") << v.details["forecast"];
  // Decided verdicts forecast 0.
  v = Scorecard::score({m("x", P), m("y", P)}, cfg, false);
  EXPECT_EQ(v.details["forecast"]["pass_requests"], 0) << v.details["forecast"];
}
