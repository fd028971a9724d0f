// Judge.h — the facade: measurements of canary and baseline in, a verdict
// with its numbers out. Pure: no I/O, no clock, no hidden state.
//
// Two ways to call it:
//  - judge(): one fixed-sample judgement of one window (Kayenta-style). An
//    undecided metric makes the verdict inconclusive, never pass.
//  - step(): the sequential driver for the controller, called at every
//    analysis interval with counts *cumulative since the analysis began*. The
//    state goes in and comes out as a value (JudgeState::toJson/fromJson to
//    persist it across a controller restart). Pass final = true at the end of
//    the analysis step: "continue" then becomes "inconclusive", unless a
//    bounded-harm rule (HarmBound.h: error_rate.tolerance,
//    latency.deadline_tolerance) passes the undecided metric.
// Errors (Result) are bad input only: counts going backwards, errors above
// requests, malformed histograms, a state that does not parse; `where` names
// the side and metric (e.g. "canary.latency.bounds[3]").
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "analysis/ErrorRateTest.h"
#include "analysis/JudgeConfig.h"
#include "analysis/LatencyTest.h"
#include "analysis/Measurements.h"
#include "analysis/Verdict.h"
#include "core/Result.h"

namespace ramp::analysis {

struct JudgeState {
  std::map<std::string, ErrorRateState> errorRate;
  std::map<std::string, LatencyState> latency;
  uint64_t looks = 0;

  nlohmann::json toJson() const;
  static Result<JudgeState> fromJson(const nlohmann::json& j, const std::string& where = "state");
};

class Judge {
 public:
  static Result<Verdict> judge(const Measurements& canary, const Measurements& baseline,
                               const JudgeConfig& config);

  struct Step {
    Verdict verdict;
    JudgeState state;
  };
  static Result<Step> step(JudgeState state, const Measurements& canary, const Measurements& baseline,
                           const JudgeConfig& config, bool final);
};

}  // namespace ramp::analysis
