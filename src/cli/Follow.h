// Follow.h — following a deployment from the CLI until it ends or waits on
// a person, printing each phase change as a line, and mapping its outcome to
// ramp's exit codes (0 succeeded, 1 failed/aborted, 3 rolled back, 4 waiting).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "cli/ApiClient.h"

namespace ramp::cli {

struct FollowOptions {
  bool json = false;       // print the final deployment as JSON instead of lines
  bool waitOnPerson = false;  // keep waiting through pauses and approvals
  bool quiet = false;
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
