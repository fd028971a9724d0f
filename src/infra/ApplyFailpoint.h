// ApplyFailpoint.h — crash points of the Applier for kill -9 tests.
//
// RAMP_FAILPOINT (comma-separated, shared with the engine's failpoints)
// may name:
//   infra-apply:after-intent[:N]  SIGKILL after the N-th (default 1st)
//                                 intent is journaled, before its API call
//   infra-apply:after-call[:N]    SIGKILL after the N-th API call returned,
//                                 before the state and the journal record it
// Read once per process. Unset, a call is a check of an empty list.
#pragma once

#include <string_view>

namespace ramp::infra {

void applyFailpoint(std::string_view point);

}  // namespace ramp::infra
