// SimPlan.h — what judge_sim needs of a rendered service (`ramp render
// --json`): its canary steps, the bake, and the judge's configuration built
// exactly as the engine builds it (AnalysisBlock: the analysis block, the
// false-rollback budget split over the deployment's analyses).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/JudgeConfig.h"
#include "core/Result.h"

namespace ramp::bench {

struct SimPlan {
  struct Step {
    enum class Kind { kWeight, kAnalysis, kPause };
    Kind kind = Kind::kWeight;
    int weight = 0;          // kWeight
    double deadlineS = 0;    // kAnalysis: collect at most this long
    double intervalS = 1;    // kAnalysis: a look this often
    double pauseS = 0;       // kPause (0 = until resumed: the simulated person)
  };
  std::vector<Step> steps;
  double bakeS = 0;
  int analyses = 1;
  std::string onInconclusive = "pause";
  analysis::JudgeConfig judge;

  static Result<SimPlan> fromRendered(const nlohmann::json& service, bool hotfix = false);
};

}  // namespace ramp::bench
