// DeploymentSim.h — one whole canary deployment on a simulated clock, as the
// engine runs it: every step of the plan at its weight, each analysis step
// looked at every `interval` until the judge decides or the step's deadline
// passes; an inconclusive step waits for a person (personDelayS) while the
// judge keeps looking and still rolls back on evidence of harm; after the
// last weight the bake judges the new fleet against the stable fleet's
// measurements from the bake's length before the switch.
//
// Traffic: totalRate requests/s split by the step's weight (Poisson per
// tick); the stable fleet and the canary each behave as their
// ServiceProfile. Nothing sleeps, nothing reads a clock.
#pragma once

#include <cmath>
#include <random>
#include <vector>

#include "SimFleet.h"
#include "SimPlan.h"

namespace ramp::bench {

struct DeploymentRun {
  bool rolledBack = false;          // on evidence (a fail verdict)
  bool policyRollback = false;      // on_inconclusive: rollback at a deadline
  bool whilePaused = false;         // the fail came while waiting for a person
  bool inBake = false;              // the fail came during the bake
  int step = -1;                    // index of the step it was rolled back at (-1: bake / none)
  int personPauses = 0;             // analysis steps that ended inconclusive
  int deadlinePasses = 0;           // analysis steps passed at their deadline (the bounded-harm rule)
  bool bakeInconclusive = false;
  double seconds = 0;               // first step to the end, person delays included
  double secondsToRollback = NAN;   // from the start of the first analysis to the rollback
  std::vector<double> stepSeconds;  // per analysis step reached: seconds to its pass, NaN if it did not pass
};

class DeploymentSim {
 public:
  DeploymentSim(const SimPlan& plan, double totalRate, ServiceProfile stable, ServiceProfile canary,
                double personDelayS);
  DeploymentRun run(std::mt19937_64& rng) const;

 private:
  const SimPlan& plan_;
  double total_;
  ServiceProfile stable_, canary_;
  std::vector<double> stableProbs_, canaryProbs_;
  double personDelayS_;
};

}  // namespace ramp::bench
