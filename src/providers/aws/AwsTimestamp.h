// AwsTimestamp.h — the ISO 8601 timestamps AWS APIs return and accept.
//
// parse accepts "2026-11-26T08:17:37Z", with optional fractional seconds
// and "+00:00"-style offsets; format writes "2026-11-26T08:17:37Z".
#pragma once

#include <string>
#include <string_view>

#include "core/Clock.h"
#include "core/Result.h"

namespace ramp::providers::aws {

class AwsTimestamp {
 public:
  static Result<WallTime> parse(std::string_view text);
  static std::string format(WallTime t);
};

}  // namespace ramp::providers::aws
