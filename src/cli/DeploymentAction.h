// DeploymentAction.h — what `ramp rollback` and the manual controls (`ramp
// pause | resume | promote-now | abort`) share: each acts on the deployment
// of SERVICE in --env ENV, with an optional --comment (-m) recorded in the
// audit, and may return at once (--detach) or print JSON (--json).
//
// addOptions declares those flags on the command, in that order (only the
// help of --detach differs between the commands); body() is the request's
// start: {"service", "env"}, plus "comment" when one was given.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "cli/CommandRegistry.h"

namespace ramp::cli {

struct DeploymentAction {
  std::string service;
  std::string env;
  std::string comment;
  bool detach = false;
  bool json = false;

  void addOptions(CLI::App* cmd, const std::string& detachHelp);
  nlohmann::json body() const;
};

}  // namespace ramp::cli
