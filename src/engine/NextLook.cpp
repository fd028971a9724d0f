#include "engine/NextLook.h"

#include <algorithm>

namespace ramp::engine {

int64_t nextLookAt(const Deployment& d, int64_t nowMs, std::optional<int64_t> alarmsDue) {
  const int64_t cap = nowMs + kLongestWaitMs;
  if (!d.active()) return nowMs;
  int64_t due = nowMs;  // every tick
  const bool canaryWatch =
      d.analysis.armed && (d.phase == Phase::kCanaryAnalysis || (d.phase == Phase::kCanaryPause && d.analysis.watch));
  if (d.state == kPaused) {
    due = cap;
    if (canaryWatch) due = std::min(due, d.analysis.nextLookAt);
  } else if (d.phase == Phase::kApproval || d.phase == Phase::kWindow) {
    due = cap;
  } else if (d.phase == Phase::kBake) {
    due = std::min(cap, d.bakeUntil);
    if (d.bake.blueFrom && !d.bake.judged && !d.bake.resolved) due = std::min(due, d.bake.nextLookAt);
    if (alarmsDue) due = std::min(due, *alarmsDue);
  } else if (d.phase == Phase::kCanaryAnalysis && d.analysis.armed) {
    due = std::min({cap, d.analysis.nextLookAt, d.analysis.deadlineAt});
  }
  return std::clamp(due, nowMs, cap);
}

}  // namespace ramp::engine
