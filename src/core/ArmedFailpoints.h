// ArmedFailpoints.h — what RAMP_FAILPOINT arms: its comma-separated items
// ("PHASE:when", "infra-apply:POINT[:N]"), empty ones dropped, in order. The
// one reader of the variable; each kind of failpoint picks its own items
// (engine/Failpoint.h at phase boundaries, infra/ApplyFailpoint.h in apply).
#pragma once

#include <string>
#include <vector>

namespace ramp {

std::vector<std::string> armedFailpoints();

}  // namespace ramp
