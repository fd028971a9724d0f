// ScalingHold.cpp — Engine::holdScaling: autoscaled fleets are held steady
// while traffic moves between them (issue #8: blue/green broken by scaling
// mid-switch). Taken in `switch`, `canary_step` (weight steps) and
// `rb_switch`; released once the data plane is verified (`verify_switch`,
// `rb_verify`) and in `fail_cleanup`. Every call is idempotent, so a
// deployment resumed after a restart re-takes or releases the holds in the
// phase it resumes in. Fixed-size fleets (no `scaling`) are never touched.
#include "engine/Engine.h"

namespace ramp::engine {

Status Engine::holdScaling(const Deployment& d, const ServicePlan& plan, bool hold) {
  if (!plan.scaling) return ok();
  for (const std::string* fleet : {&d.newFleet, &d.oldFleet, &d.baselineFleet}) {
    if (fleet->empty()) continue;
    if (auto st = fleets_.holdScaling(*fleet, hold); !st) return st;
  }
  return ok();
}

}  // namespace ramp::engine
