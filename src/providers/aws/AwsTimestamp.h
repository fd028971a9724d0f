// AwsTimestamp.h — the ISO 8601 timestamps AWS APIs return and accept.
//
// parse accepts "2026-11-26T08:17:37Z", with optional fractional seconds
// and "+00:00"-style offsets; format writes "2026-11-26T08:17:37Z";
// formatBasic writes the ISO 8601 basic form "20261126T081737Z" (SigV4's
// X-Amz-Date). Both in UTC, to the second.
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
  static std::string formatBasic(WallTime t);
};

}  // namespace ramp::providers::aws
