// NextLook.h — when a deployment next needs its phase run (pure).
//
// The engine runs a deployment's phase at every tick only while something
// can change under it at any moment (a fleet becoming healthy, a drain, a
// queue ahead of it, a switch being verified). A phase that waits for a
// time needs no look before that time:
//
//   bake                 the bake's end, the bake judge's next look (while it
//                        judges), the alarms' next look
//   canary_analysis      the analysis's next look or its deadline, whichever
//                        is first
//   paused (any phase),  nothing it can see itself; a paused canary's judge
//   approval, window     keeps looking (its analysis's next look)
//
// Every answer is capped at now + kLongestWait, so what the engine cannot
// see coming — a record changed by another controller sharing the store, an
// approval granted there, a lease taken away, a deployment window opening —
// is still seen within a second. What a person does through this controller
// (controls, approvals, rollbacks, submits) makes the deployment's
// service+env due at once (Engine::touch, from the ledger's commit hook).
//
// Times are Unix milliseconds, as in the record. `alarmsDue`: when the
// alarm watch next looks for this deployment (none: no alarm configured or
// not looked at yet).
#pragma once

#include <cstdint>
#include <optional>

#include "engine/Deployment.h"

namespace ramp::engine {

inline constexpr int64_t kLongestWaitMs = 1000;

int64_t nextLookAt(const Deployment& d, int64_t nowMs, std::optional<int64_t> alarmsDue);

}  // namespace ramp::engine
