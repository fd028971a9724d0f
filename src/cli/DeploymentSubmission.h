// DeploymentSubmission.h — how `ramp deploy` and `ramp promote` submit a
// deployment and follow it, once each has built its own request body:
//
//   1. the flags they share (SubmitFlags) go into the body: "region" when
//      --region, "queue" when --queue, "rollback_all_regions" when
//      --rollback-all-regions;
//   2. the note, on stderr, when the local config (-f, else ./ramp.yaml)
//      differs from the version in force (ConfigInForce.h);
//   3. POST `path`; a refusal is reported with its fields named as the
//      command's flags (`asFlags`), exit 1;
//   4. the headline (`headlineOf` the accepted deployment, plus the regions
//      in waves), then followed as the flags say (Follow.h: --detach,
//      --wait, --json, --through-bake); its exit code.
//
// Each command declares the flags in its own order, with its own help for
// --region and -f; the others are declared here, one definition each.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/CommandRegistry.h"
#include "core/Result.h"

namespace ramp::cli {

struct SubmitFlags {
  std::string region;               // --region: this region alone
  std::optional<std::string> file;  // -f: the local config compared with the one in force
  bool detach = false;
  bool wait = false;
  bool json = false;
  bool queue = false;
  bool throughBake = false;
  bool rollbackAllRegions = false;

  // --detach (DETACH_NAMES), --wait, --json: how the deployment is followed.
  void addFollowFlags(CLI::App* cmd, const std::string& detachNames);
  void addQueueFlag(CLI::App* cmd);
  void addRollbackAllRegionsFlag(CLI::App* cmd);
  void addThroughBakeFlag(CLI::App* cmd);
};

int submitAndFollow(Cli& cli, const std::string& path, nlohmann::json body, const SubmitFlags& flags,
                    const std::function<Error(const Error&)>& asFlags,
                    const std::function<std::string(const nlohmann::json&)>& headlineOf);

}  // namespace ramp::cli
