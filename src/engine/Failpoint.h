// Failpoint.h — compiled-in crash points for fault-injection tests.
//
// Two environment variables, read once per process (first call):
//
//   RAMP_FAILPOINT="PHASE:before|after[,PHASE:before|after...]"
//     PHASE:before  the process SIGKILLs itself when the engine is about to
//                   run PHASE: PHASE is committed, its side effect not done.
//     PHASE:after   ... when PHASE's side effect is done and the engine is
//                   about to commit the move out of PHASE (not yet written).
//     PHASE:before:stop / PHASE:after:stop
//                   the process SIGSTOPs itself there, once (a deposed
//                   leader frozen mid-tick; the test SIGCONTs it).
//   RAMP_FAILPOINT_RANDOM="SEED:N"
//     a number K in [1, N] is drawn from SEED (std::mt19937_64); the process
//     SIGKILLs itself at the K-th side-effect point it passes (store writes,
//     traffic changes; see Engine.cpp). Seed and K are printed to stderr at
//     the first call, so a failing run can be replayed.
//
// Unset (the normal case), a call is a check of an empty list. The kill is
// raise(SIGKILL): no destructor, no flush, exactly like `kill -9`.
#pragma once

#include <string_view>

namespace ramp::engine {

// Phase boundary hook: kills the process if RAMP_FAILPOINT names PHASE:when.
void failpoint(std::string_view phase, std::string_view when);

// Side-effect hook: counts towards RAMP_FAILPOINT_RANDOM and kills the
// process at the drawn point. `what` names the point in the printed line.
void failpointSideEffect(std::string_view what);

// Whether any failpoint is configured (for logging at start-up).
bool failpointsConfigured();

}  // namespace ramp::engine
