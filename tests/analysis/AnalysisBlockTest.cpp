// The ramp.yaml analysis block → the judge's config: the one false-rollback
// budget split over metrics × analyses, the keys' mapping and the errors
// that name ramp.yaml's keys; the count of analyses; the decision forecast in
// time and weight.
#include <gtest/gtest.h>

#include "analysis/AnalysisBlock.h"
#include "analysis/DecisionForecast.h"
#include "analysis/FalseRollbackBudget.h"

using namespace ramp::analysis;
using nlohmann::json;

TEST(FalseRollbackBudget, SplitsOverMetricsAndAnalyses) {
  EXPECT_DOUBLE_EQ((FalseRollbackBudget{0.01, 2, 3}.perTest()), 0.01 / 6);
  EXPECT_DOUBLE_EQ((FalseRollbackBudget{0.05, 1, 1}.perTest()), 0.05);
  EXPECT_DOUBLE_EQ((FalseRollbackBudget{0.01, 0, 0}.perTest()), 0.01);  // at least one of each
}

TEST(AnalysisBlock, MapsEveryKeyAndSplitsTheBudget) {
  json block = {{"max_false_rollback", 0.02},
                {"max_false_pass", 0.2},
                {"error_rate_objective", 0.01},
                {"error_rate_tolerance", 1.5},
                {"min_error_rate", 0.002},
                {"min_requests", 50},
                {"latency_tolerance", 0.25},
                {"latency_deadline_tolerance", 0.5},
                {"pass_score", 80},
                {"marginal_score", 60},
                {"groups", {{"errors", 70}}},
                {"on_inconclusive", "pause"},
                {"deadline", "2m"},
                {"metrics",
                 {{{"name", "error_rate"}, {"kind", "error_rate"}, {"critical", true}, {"group", "errors"}},
                  {{"name", "latency"}, {"kind", "latency"}, {"weight", 2}, {"direction", "either"}},
                  {{"name", "pages"}, {"kind", "error_rate"}, {"group", "errors"}}}}};
  auto c = AnalysisBlock::judgeConfig(block, 4);
  ASSERT_TRUE(c) << c.error().describe();
  const double a = 0.02 / (3 * 4);
  EXPECT_DOUBLE_EQ(c->errorRate.alpha, a);
  EXPECT_DOUBLE_EQ(c->latency.confidence, 1 - a);
  EXPECT_DOUBLE_EQ(c->errorRate.beta, 0.2);
  EXPECT_DOUBLE_EQ(c->errorRate.objective, 0.01);
  EXPECT_DOUBLE_EQ(c->errorRate.tolerance, 1.5);
  EXPECT_DOUBLE_EQ(c->errorRate.minErrorRate, 0.002);
  EXPECT_EQ(c->errorRate.minRequests, 50u);
  EXPECT_DOUBLE_EQ(c->latency.tolerance, 0.25);
  EXPECT_DOUBLE_EQ(c->latency.deadlineTolerance, 0.5);
  EXPECT_DOUBLE_EQ(c->passScore, 80);
  EXPECT_DOUBLE_EQ(c->marginalScore, 60);
  EXPECT_DOUBLE_EQ(c->groupWeights.at("errors"), 70);
  ASSERT_EQ(c->metrics.size(), 3u);
  EXPECT_EQ(c->metrics[0].group, "errors");
  EXPECT_TRUE(c->metrics[0].critical);
  EXPECT_DOUBLE_EQ(c->metrics[1].weight, 2);
  EXPECT_EQ(c->metrics[1].direction, Direction::kEither);
  EXPECT_EQ(c->metrics[2].kind, MetricKind::kErrorRate);

  // Defaults: the budget 0.01 over the 2 default metrics and 1 analysis.
  auto d = AnalysisBlock::judgeConfig(json::object(), 1);
  ASSERT_TRUE(d);
  EXPECT_DOUBLE_EQ(d->errorRate.alpha, 0.005);
  EXPECT_DOUBLE_EQ(d->latency.confidence, 0.995);
  EXPECT_DOUBLE_EQ(d->errorRate.objective, 0.005);
  EXPECT_DOUBLE_EQ(d->errorRate.beta, 0.1);
  EXPECT_DOUBLE_EQ(d->errorRate.tolerance, 0);  // the bounded-harm rule is off unless stated
  EXPECT_DOUBLE_EQ(d->latency.deadlineTolerance, 0);  // for latency too
  EXPECT_EQ(d->metrics.size(), 2u);
}

TEST(AnalysisBlock, ErrorsNameTheConfigKey) {
  auto bad = AnalysisBlock::judgeConfig({{"error_rate_objective", 1.5}}, 1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().where, "analysis.error_rate_objective");
  bad = AnalysisBlock::judgeConfig({{"error_rate_tolerance", -1}}, 1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().where, "analysis.error_rate_tolerance");
  bad = AnalysisBlock::judgeConfig({{"latency_deadline_tolerance", 11}}, 1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().where, "analysis.latency_deadline_tolerance");
  bad = AnalysisBlock::judgeConfig({{"max_false_pass", 0.7}}, 1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().where, "analysis.max_false_pass");
  bad = AnalysisBlock::judgeConfig({{"max_false_rollback", 0}}, 1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().where, "analysis.max_false_rollback");
  bad = AnalysisBlock::judgeConfig({{"groups", {{"nobody", 10}}}}, 1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().where, "analysis.groups.nobody");
}

TEST(AnalysisBlock, CountsTheAnalysesOfADeployment) {
  json canary = {{"strategy",
                  {{"type", "canary"},
                   {"bake", "30s"},
                   {"steps", {{{"weight", 10}}, {{"analysis", {{"duration", "2m"}}}}, {{"weight", 50}},
                              {{"analysis", json::object()}}, {{"weight", 100}}}},
                   {"hotfix_steps", {{{"weight", 50}}, {{"analysis", json::object()}}, {{"weight", 100}}}}}}};
  EXPECT_EQ(AnalysisBlock::analysesOf(canary, false), 3);  // two steps and the bake
  EXPECT_EQ(AnalysisBlock::analysesOf(canary, true), 2);   // the hotfix's one step and the bake
  canary["strategy"]["bake"] = "0s";
  EXPECT_EQ(AnalysisBlock::analysesOf(canary, false), 2);
  json bluegreen = {{"strategy", {{"type", "bluegreen"}, {"bake", "5s"}}}};
  EXPECT_EQ(AnalysisBlock::analysesOf(bluegreen, false), 1);
  EXPECT_EQ(AnalysisBlock::analysesOf(json::object(), false), 1);  // never 0
}

TEST(DecisionForecast, TimeAndTheWeightForTheDeadline) {
  // 600 more canary requests at 10/s: 60 s. With 30 s left the canary needs
  // 20/s, i.e. weight 10 × 20/10 = 20.
  json f = {{"requests", 600}, {"decision", "pass"}};
  auto d = DecisionForecast::of(f, 10, 30, 10);
  ASSERT_TRUE(d.seconds);
  EXPECT_DOUBLE_EQ(*d.seconds, 60);
  EXPECT_FALSE(d.withinDeadline);
  ASSERT_TRUE(d.weightForDeadline);
  EXPECT_EQ(*d.weightForDeadline, 20);
  EXPECT_EQ(d.toJson()["decision"], "pass");
  // Within the deadline: no weight advice.
  d = DecisionForecast::of(f, 10, 90, 10);
  EXPECT_TRUE(d.withinDeadline);
  EXPECT_FALSE(d.weightForDeadline);
  // Beyond any weight (needs 100/s = weight 100 × 10 = 1000%): none offered.
  d = DecisionForecast::of(f, 10, 0.6, 10);
  EXPECT_FALSE(d.weightForDeadline);
  // No forecast, or no traffic yet: nothing to say, but no crash.
  EXPECT_FALSE(DecisionForecast::of({{"requests", nullptr}}, 10, 30, 10).seconds);
  EXPECT_FALSE(DecisionForecast::of(f, 0, 30, 10).seconds);
  EXPECT_TRUE(DecisionForecast::of(f, 0, 30, 10).toJson()["seconds"].is_null());
}
