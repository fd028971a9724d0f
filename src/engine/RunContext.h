// RunContext.h — one run of one deployment's current phase (Argo Rollouts'
// rolloutContext is the model): the deployment, its plan, the providers, the
// clock, and the engine's books (DeploymentLedger, Entrypoints, AlarmWatch).
// A strategy (PhaseMachine) reconciles through it and returns the
// Transition; the engine commits it.
//
// The actions every strategy shares live here: the entry point's key, audit
// events, saving progress within a phase, holding autoscaling, the fleet
// spec, fresh baseline fleets, alarms, and handing over to the rollback
// phases (startRollback).
//
// Thread-safety: a RunContext belongs to the one thread running that
// deployment (the scheduler runs a deployment's phases one at a time); the
// parts it refers to are thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/Clock.h"
#include "core/Result.h"
#include "engine/AlarmWatch.h"
#include "engine/Deployment.h"
#include "engine/DeploymentLedger.h"
#include "engine/Entrypoints.h"
#include "engine/ReleaseCatalog.h"
#include "engine/ServicePlan.h"
#include "engine/Transition.h"
#include "providers/Provider.h"
#include "providers/prometheus/MetricQuerySource.h"

namespace ramp::engine {

// Runs a smoke-test command; returns its exit code (124 timed out), or an
// error when it could not run to its end (not started; stopped because the
// controller is stopping): the phase is then run again, never failed.
using CommandRunner = std::function<Result<int>(
    const std::string& command, const std::map<std::string, std::string>& env, std::chrono::milliseconds timeout)>;

// The rollback of the regions a deployment left on its release (Engine:
// rb_regions starts it through this).
using RegionRollback =
    std::function<Result<Deployment>(const Deployment& d, const std::string& actor, bool queue)>;

// What every run shares; owned by the Engine.
struct EngineParts {
  providers::FleetProvider& fleets;
  providers::TrafficProvider& traffic;
  providers::MetricsProvider& metrics;
  ReleaseCatalog& releases;
  Clock& clock;
  DeploymentLedger& ledger;
  Entrypoints& entrypoints;
  AlarmWatch& alarms;
  providers::MetricQuerySource& queries;  // analysis metrics defined as queries
  CommandRunner runCommand;
  RegionRollback rollbackRegions;
};

class RunContext {
 public:
  RunContext(Deployment& d, const ServicePlan& plan, EngineParts& parts);

  Deployment& d;
  const ServicePlan& plan;
  EngineParts& parts;
  const int64_t now;  // Unix ms when the run began

  providers::EntrypointKey key() const { return {d.service, d.env, d.region}; }
  const std::string& owner() const { return parts.ledger.owner(); }

  Status audit(const std::string& kind, nlohmann::json data);
  // Progress within the phase (the judge's state, samples): the record is
  // written, the phase stays.
  Status save(const std::string& eventKind = {}, nlohmann::json data = nlohmann::json::object());

  // The traffic plan: load, edit with `edit`, save (traffic.set) and make
  // the data plane apply it. Returns the plan as saved.
  Result<TrafficPlan> editTraffic(const std::function<void(TrafficPlan&)>& edit);

  // ScalingHold: with plan.scaling, holds (true) or releases (false) the
  // scaling of every fleet of the deployment (new, previous, baseline) while
  // traffic moves between them. Idempotent; no-op without scaling.
  Status holdScaling(bool hold);
  // After a switch of the entry point to FLEET (a verify phase): false while
  // the data plane does not show it yet (a reconcile is started; wait);
  // true once it does: FLEET (VERSION) is recorded as the stable fleet and
  // the scaling held during the switch is released. Idempotent.
  Result<bool> confirmSwitch(const std::string& fleet, const std::string& version);
  // Whether the data plane shows the deployment's traffic plan: false when
  // it does not yet (a reconcile is started; wait). Idempotent.
  Result<bool> weightsApplied();
  // The new fleet's spec (an autoscaled fleet starts at the previous
  // fleet's current capacity).
  Result<providers::FleetSpec> fleetSpec();
  // strategy.baseline: fresh — creates the baseline fleet (stable release,
  // canary's size; idempotent by fleet id): false with d.reason set when it
  // cannot; and retires it (idempotent).
  Result<bool> createBaselineFleet();
  Status retireBaselineFleet();

  // The first firing alarm (AlarmWatch), recording alarm.unknown once per
  // new error; `unknown` set when the source could not say.
  std::optional<std::string> firingAlarm(bool force, bool& unknown);
  std::string alarmError() { return parts.alarms.lastError(d.id); }

  // Hands the deployment to the rollback phases (rb_capacity first):
  // traffic back to the previous fleet once it has the capacity, then retire.
  Transition startRollback(const std::string& reason, nlohmann::json data = nlohmann::json::object());
};

}  // namespace ramp::engine
