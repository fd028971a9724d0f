// Duration.h — durations as people write them: "250ms", "30s", "5m", "1h30m".
//
// Units: ms, s, m, h, d. Components must be in decreasing unit order, each
// unit at most once, with no spaces and no sign. "0" alone means zero.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/Result.h"

namespace ramp {

Result<std::chrono::milliseconds> parseDuration(std::string_view text);
// The shortest canonical spelling: 90000ms -> "1m30s", 250ms -> "250ms".
std::string formatDuration(std::chrono::milliseconds d);

}  // namespace ramp
