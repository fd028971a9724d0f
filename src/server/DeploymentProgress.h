// DeploymentProgress.h — what a deployment is doing now, in words and
// numbers people can trust: one definition, added as "progress" to the
// API's deployment view (GET /api/v1/deployments/{id}) and to every status
// entry's deployment (GET /api/v1/status), and so shown alike by `ramp
// status`, `ramp deploy`'s follow lines and the dashboard.
//
// progressOf(view, nowMs) reads a deployment view (state, phase, strategy,
// kind, step, steps, step_names, timing = Deployment::timingView()) and
// returns:
//   step, steps   the current step, clamped to 0..steps (a counter never
//                 runs over: "6/5" cannot be shown)
//   step_name     the current step's name, or null before the first
//   label         the state as people should read it: the state itself,
//                 except "baking" (traffic switched and verified, the
//                 previous fleet still warm and the bake's judge/alarms may
//                 still roll it back), "retiring" (succeeded, the previous
//                 fleet draining or being retired) and "rolling_back" (a
//                 running deployment in a rollback phase)
//   activity      one sentence: what happens now
//   ends_at       RFC 3339: when the current wait ends at the latest (pause,
//                 health deadline, analysis deadline, bake), else null
//   ends_in_ms    ends_at - now (>= 0), else null
//   next_look_in_ms  analysis or bake: ms until the judge's next look, else null
//   judge_looks   looks the judge made in this step (analysis/bake), else null
// Pure: no clock of its own, no I/O.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

namespace ramp::server {

nlohmann::json progressOf(const nlohmann::json& view, int64_t nowMs);

}  // namespace ramp::server
