// FreshBaseline.cpp — `strategy.baseline: fresh` (as Kayenta does): besides
// the canary, a canary deployment starts a baseline fleet of the STABLE
// release with the canary's instance count, routes the canary's weight to it
// at every weight step (stable keeps 100 - 2 x weight), and the judge
// compares the canary with it instead of with the long-running stable fleet
// (same age, same size, same share of traffic: a fair comparison).
//
// The fleet's id is fixed when the deployment starts and persisted in the
// record (Deployment::baselineFleet), so creating it is idempotent by id and
// a restarted controller finds it again. It is retired when the canary ends:
// at the verified switch (success), in the rollback phases (rollback,
// abort) and in fail_cleanup.
#include <fmt/format.h>

#include "engine/Engine.h"

namespace ramp::engine {

Result<bool> Engine::createBaselineFleet(Deployment& d, const ServicePlan& plan) {
  if (d.baselineFleet.empty()) return true;
  auto release = releases_.find(d.service, d.oldVersion);
  if (!release) {
    d.reason = "the fresh baseline needs the stable release " + d.oldVersion + ": " + release.error().describe();
    return false;
  }
  if (auto v = releases_.verify(*release); !v) {
    d.reason = "the fresh baseline's release " + d.oldVersion + ": " + v.error().describe();
    return false;
  }
  auto spec = fleetSpec(d, plan);
  if (!spec) return std::unexpected(spec.error());
  spec->fleetId = d.baselineFleet;
  spec->releaseVersion = release->version;
  spec->releaseDigest = release->digest;
  spec->releasePath = release->path;
  if (auto st = recordFleet(d, d.baselineFleet, "creating", &*release); !st) return std::unexpected(st.error());
  if (auto st = fleets_.createFleet(*spec); !st) {
    d.reason = "could not create the baseline fleet " + d.baselineFleet + ": " + st.error().describe();
    return false;
  }
  return true;
}

Status Engine::retireBaselineFleet(const Deployment& d, const ServicePlan& plan) {
  if (d.baselineFleet.empty()) return ok();
  const auto key = keyOf(d);
  auto tp = loadPlan(key);
  if (!tp) return std::unexpected(tp.error());
  if (tp->weights.contains(d.baselineFleet)) {
    tp->remove(d.baselineFleet);
    if (auto st = savePlan(key, *tp, options_.owner, d.id); !st) return st;
    if (auto st = reconcileTraffic(key); !st) return st;
  }
  auto fr = store_.getFleet(d.baselineFleet);
  if (fr && fr->state == "retired") return ok();
  if (auto st = fleets_.retireFleet(d.baselineFleet, plan.drainTimeout); !st) return st;
  if (auto st = markFleet(d.baselineFleet, "retired"); !st) return st;
  return audit("fleet.retired", d, {{"fleet", d.baselineFleet}, {"role", "baseline"}});
}

}  // namespace ramp::engine
