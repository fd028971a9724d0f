// AnalysisBlock.h — the service's `analysis:` block of ramp.yaml (as
// rendered to JSON by the config loader, docs/analysis.md) → the judge's
// configuration for one analysis of a deployment.
//
// Keys read (config names → JudgeConfig):
//   max_false_rollback   the deployment's false-rollback budget, split over
//                        metrics × analyses (FalseRollbackBudget.h) into
//                        error_rate.alpha and latency.confidence = 1 - a
//   max_false_pass       error_rate.beta: P(pass | canary worse) per analysis
//   error_rate_objective error_rate.objective (the absolute pass route)
//   error_rate_tolerance error_rate.tolerance (the bounded-harm pass at a
//                        step's deadline, HarmBound.h; 0 / absent = off)
//   min_error_rate       error_rate.min_error_rate (the fail side's relevance gate)
//   min_requests         error_rate.min_requests
//   latency_tolerance    latency.tolerance
//   latency_deadline_tolerance latency.deadline_tolerance (the bounded-harm
//                        pass for latency at a step's deadline; 0 / absent = off)
//   pass_score, marginal_score, groups {NAME: weight}
//   metrics [{name, kind, critical, weight, group, direction}]
// Other keys (on_inconclusive, deadline, a metric's source) are the engine's
// and the metric sources'. Absent keys take the judge's defaults
// (JudgeConfig.h), which are the documented ones. The loader has already
// refused bad values with FILE:LINE:COL; a block that reaches here with one
// anyway (an old record) gets an Error naming the config key.
#pragma once

#include <nlohmann/json.hpp>

#include "analysis/JudgeConfig.h"
#include "core/Result.h"

namespace ramp::analysis {

class AnalysisBlock {
 public:
  // `analyses`: how many analyses the deployment runs (FalseRollbackBudget).
  static Result<JudgeConfig> judgeConfig(const nlohmann::json& block, int analyses);
  // How many analyses a rendered service runs in one region: its analysis
  // steps (hotfix_steps for a hotfix, when set) plus the watched bake.
  static int analysesOf(const nlohmann::json& renderedService, bool hotfix);
};

}  // namespace ramp::analysis
