// WavePhases.h — one deployment across the regions of its environment, one
// region per wave (docs/decisions.md "Deployments across regions: one
// deployment, regions in waves").
//
// The deployment passes its gates once, then every region runs the same
// strategy with the ordinary phases against its own entry point:
//
//   start ... verify_switch   the region's switch; not the last region: the
//                             deployment stays running (nothing terminal)
//   bake ... retire_previous  the region's bake with its judge and alarms,
//                             then its previous fleet is retired
//   wave_done                 committed with deployment.wave_succeeded; runs:
//                             the next region's config is loaded, the
//                             per-region fields reset, phase start
//                             (deployment.wave_started) — one record change
//
// Only the last region's switch ends the deployment `succeeded`. A rollback
// or failure in a region ends the deployment there (rolled_back / failed /
// aborted, the reason naming the region); later regions are not_started
// and never touched, earlier ones keep the new release.
//
// The static functions are pure edits of a Deployment, used by the other
// machines and by the Engine.
//
// Thread-safety: stateless (PhaseMachine).
#pragma once

#include <string>
#include <vector>

#include "engine/PhaseMachine.h"

namespace ramp::engine {

class WavePhases final : public PhaseMachine {
 public:
  Result<Transition> run(RunContext& ctx) override;

  // Makes wave `index` the current one: its region, rendered config (with
  // hotfix steps for a hotfix), digest, step names and fleet name; resets
  // every per-region field. Errors name waves[index].FIELD.
  static Status loadWave(Deployment& d, int index);
  // The current region's work is done (switched, baked, previous retired)
  // and it is not the last: the wave succeeded; the move to wave_done with
  // the event deployment.wave_succeeded.
  static Transition completeWave(Deployment& d, int64_t now);
  // The deployment ends `endState` in the current wave: that wave takes the
  // state (unless `currentCompleted`), later ones are not_started, and
  // d.reason names the region and what every other region runs.
  static void stopWaves(Deployment& d, const std::string& endState, bool currentCompleted, int64_t now);
  // Regions of a deployment that ended (not succeeded) that kept its release.
  static std::vector<std::string> keptRegions(const Deployment& d);
};

}  // namespace ramp::engine
