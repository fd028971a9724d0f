// ProgressText.h — a deployment's progress and the judge's running numbers
// as text, one wording for `ramp status` (and --watch) and the follow lines
// of deploy / promote / resume. The facts come from the API: a deployment's
// "progress" (server/DeploymentProgress.h: clamped step, label, activity,
// time left) and "verdict" (the judge's latest look: counts, rates and the
// evidence against each threshold).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/Clock.h"

namespace ramp::cli {

// "step 2/5 analysis" ("" when the deployment has no steps).
std::string stepText(const nlohmann::json& deployment);
// The label people should read (progress.label, else the state).
std::string labelOf(const nlohmann::json& deployment);
// progress.activity, with the judge's next look when one is due.
std::string activityText(const nlohmann::json& deployment);
// One line per metric of the judge's latest look, e.g.
//   "error_rate  canary 3.1% (12/390)  baseline 0.0% (0/3512)  fail evidence 41/100, pass 0.3/20  failing"
// Empty when there is no verdict.
std::vector<std::string> judgeLines(const nlohmann::json& verdict);
// Age of an RFC 3339 time at `now`: "8s", "4m", "3h", "2d"; "" when unreadable.
std::string ageOf(const nlohmann::json& isoTime, WallTime now);
// Local wall time of day "14:03:07" (for the lines of a watch).
std::string clockTime(WallTime t);
// 1234 ms -> "1.2s", 95000 -> "1m35s".
std::string shortDuration(int64_t ms);

}  // namespace ramp::cli
