// CounterSnapshot.h — a fleet's cumulative data-plane counters as stored in
// a deployment record, and the judge's measurements between two of them.
//
// The router (and CloudWatch, through the AWS provider) reports counters
// cumulative since it started; the engine stores snapshots (JSON: requests,
// errors, latency histogram bounds and counts; the +Inf bound as "+Inf") and
// judges the differences. A counter that went backwards means the router
// restarted: the later snapshot then counts from zero.
// Also: the service's `analysis` block (config names) as the judge's config.
#pragma once

#include <nlohmann/json.hpp>

#include "analysis/JudgeConfig.h"
#include "analysis/Measurements.h"
#include "core/Result.h"
#include "providers/Provider.h"

namespace ramp::engine {

struct CounterSnapshot {
  static nlohmann::json of(const providers::FleetMetrics& m);
  // Measurements from `start` to `end` (both made by of()).
  static Result<analysis::Measurements> between(const nlohmann::json& start, const nlohmann::json& end);
  // The rendered `analysis` block -> JudgeConfig for one of the
  // deployment's `analyses` (analysis::AnalysisBlock: the false-rollback
  // budget split over metrics × analyses).
  static Result<analysis::JudgeConfig> judgeConfig(const nlohmann::json& analysisBlock, int analyses);
};

}  // namespace ramp::engine
