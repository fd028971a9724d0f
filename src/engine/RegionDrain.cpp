// RegionDrain.cpp — regions in waves leave DNS while a deployment changes
// them (docs/deployments.md, "Draining a region"), where the environment
// asks for it (aws: dns.drain with weighted records; elsewhere nothing to
// do). Declarative, like traffic plans: the strand of a service+env works
// out, after advancing its deployments, which of its regions a wave is
// changing and tells the traffic provider drained = true for those, false
// for the others (the provider answers from memory when nothing changes);
// the entry-point sweep says the same for every entry point, so a region
// is put back even when the deployment that drained it ended elsewhere.
// The `start` phase of a wave waits until its region's drain is in effect
// (BlueGreenPhases::start). A region is drained from its wave's start to
// its verified switch (canary steps included), and while a rollback moves
// its traffic back; the bake runs on real traffic again.
#include "engine/Engine.h"

namespace ramp::engine {

bool Engine::drainsRegion(const Deployment& d) {
  if (!d.hasWaves() || !d.active()) return false;
  switch (d.phase) {
    case Phase::kStart:
    case Phase::kCreateFleet:
    case Phase::kWaitHealthy:
    case Phase::kSmokeTest:
    case Phase::kSwitch:
    case Phase::kVerifySwitch:
    case Phase::kRbCapacity:
    case Phase::kRbSwitch:
    case Phase::kRbVerify:
      return true;
    default:
      return isCanaryStep(d.phase);
  }
}

Status Engine::settleDrain(const providers::EntrypointKey& key, std::optional<bool> drain) {
  bool want;
  {
    std::lock_guard lock(workMu_);
    if (drain) {
      if (*drain) draining_.insert(key);
      else draining_.erase(key);
    }
    want = draining_.contains(key);
  }
  auto r = parts_.traffic.drainRegion(key, want);
  if (!r) return std::unexpected(r.error());
  return ok();
}

}  // namespace ramp::engine
