// Follow.h — following a deployment from the CLI until it ends or waits on
// a person, printing each phase change as a line, and mapping its outcome to
// ramp's exit codes (0 succeeded, 1 failed/aborted, 3 rolled back, 4 waiting).
// With throughBake, a deployment that switched keeps being followed until its
// bake is over. A deployment across regions (waves) prints a "== wave i/n
// REGION STATE" line whenever a region's state changes.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "cli/ApiClient.h"

namespace ramp::cli {

struct FollowOptions {
  bool json = false;       // print the final deployment as JSON instead of lines
  bool waitOnPerson = false;  // keep waiting through pauses and approvals
  bool quiet = false;
  // Keep following a blue/green deployment through its bake (state
  // succeeded, phase bake): the bake's judge or an alarm may still roll it
  // back, which then exits 3 instead of the 0 of the switch.
  bool throughBake = false;
};

int exitCodeForState(const std::string& state);
int followDeployment(ApiClient& api, const std::string& id, const FollowOptions& opts);

// After a deploy or promote request was accepted (`submitted` is the
// controller's answer): with `detach`, prints the id (or the answer as JSON)
// and returns 0; otherwise prints `headline` (unless JSON) and, when the
// deployment awaits approval, how to approve it, then follows it.
int followSubmitted(ApiClient& api, const nlohmann::json& submitted, const std::string& headline,
                    const FollowOptions& opts, bool detach);

}  // namespace ramp::cli
