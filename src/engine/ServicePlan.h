// ServicePlan.h — what the engine needs to know about one service in one
// environment and region, read from the effective (rendered) configuration.
//
// The CLI renders ramp.yaml for (service, env, region) and sends the result
// with its config digest; the deployment keeps that JSON in its record, so a
// deployment always runs the exact configuration it was started with, even
// if ramp.yaml changes meanwhile. This file is the one place that reads the
// rendered form: everything else in the engine uses ServicePlan.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/Result.h"
#include "providers/Provider.h"

namespace ramp::engine {

// One step of a canary (or the implicit steps of blue/green).
struct StepPlan {
  enum class Kind { kWeight, kPause, kAnalysis };
  Kind kind = Kind::kWeight;
  int weight = 0;                                    // kWeight
  std::optional<std::chrono::milliseconds> pause;    // kPause: nullopt = until resumed
  std::chrono::milliseconds analysisDuration{0};     // kAnalysis
  std::chrono::milliseconds analysisInterval{1000};  // kAnalysis
};

struct ServicePlan {
  std::string service;
  std::string env;
  std::string region;
  int instances = 1;
  std::optional<providers::ScalingSpec> scaling;  // rendered `scaling`, when configured
  std::string instanceType;
  providers::RunSpec run;
  providers::HealthCheckSpec health;
  std::string strategy = "bluegreen";          // bluegreen | canary | all-at-once
  std::chrono::milliseconds bake{0};           // keep the previous fleet warm this long
  std::chrono::milliseconds healthDeadline{60000};
  std::chrono::milliseconds drainTimeout{10000};
  std::string smokeTest;                       // shell command, empty = none
  std::vector<StepPlan> steps;                 // canary steps
  std::string pinHeader;                       // users sending this header go to the canary
  std::string pinCookie;                       // likewise for this cookie
  std::optional<int> entrypointPort;           // fixed entry-point port, if configured
  nlohmann::json analysis = nlohmann::json::object();
  // Analyses of one region's deployment (analysis steps + the watched bake,
  // analysis::AnalysisBlock::analysesOf): the false-rollback budget is split
  // over them (and over the regions of the waves).
  int analyses = 1;
  std::string baseline = "stable";             // canary baseline: stable | fresh (a new fleet of the stable release)
  // Canary: how long the data plane holds the canary's weight without a
  // renewal (0 = no lease), and what to do when the lease ran out while the
  // controller was away: "rollback" | "resume" (docs/decisions.md).
  std::chrono::milliseconds weightLease{10000};
  std::string onLeaseExpiry = "rollback";
  std::vector<std::string> alarms;             // environment.aws.alarms: rollback triggers (AlarmSource)

  // The analysis block names at least one metric (the judge has work to do).
  bool hasMetrics() const;
  // The steps a deployment of `strategy` shows (status, progress): a
  // canary's configured steps, or blue/green's implicit ones.
  std::vector<std::string> stepNames(const std::string& strategy) const;
};

// A hotfix runs a canary's faster strategy.hotfix_steps when configured:
// the rendered config with them as its steps.
nlohmann::json withHotfixSteps(nlohmann::json rendered);

// Reads the rendered service JSON (as produced by `ramp render --json`).
Result<ServicePlan> planFromRendered(const nlohmann::json& rendered, const std::string& env,
                                     const std::string& region);

}  // namespace ramp::engine
