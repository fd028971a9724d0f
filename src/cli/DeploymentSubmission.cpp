#include "cli/DeploymentSubmission.h"

#include <iostream>

#include "cli/ApiClient.h"
#include "cli/ConfigInForce.h"
#include "cli/Follow.h"
#include "cli/Options.h"

namespace ramp::cli {

void SubmitFlags::addFollowFlags(CLI::App* cmd, const std::string& detachNames) {
  cmd->add_flag(detachNames, detach, "Return at once with the deployment id");
  cmd->add_flag("--wait", wait, "Keep waiting through pauses and approvals");
  jsonFlag(cmd, json, "Print the final deployment as JSON");
}

void SubmitFlags::addQueueFlag(CLI::App* cmd) {
  cmd->add_flag("--queue", queue, "Wait behind a deployment in progress instead of being refused");
}

void SubmitFlags::addRollbackAllRegionsFlag(CLI::App* cmd) {
  cmd->add_flag("--rollback-all-regions", rollbackAllRegions,
                "Regions in waves: a rollback in one region rolls back the regions before it too "
                "(default: they keep the release)");
}

void SubmitFlags::addThroughBakeFlag(CLI::App* cmd) {
  cmd->add_flag("--through-bake", throughBake,
                "Follow a blue/green through its bake: exit 3 if the bake's judge or an alarm rolls it back");
}

int submitAndFollow(Cli& cli, const std::string& path, nlohmann::json body, const SubmitFlags& flags,
                    const std::function<Error(const Error&)>& asFlags,
                    const std::function<std::string(const nlohmann::json&)>& headlineOf) {
  if (!flags.region.empty()) body["region"] = flags.region;
  if (flags.queue) body["queue"] = true;
  if (flags.rollbackAllRegions) body["rollback_all_regions"] = true;
  auto api = ApiClient::connect(cli.global);
  if (!api) return reportError(api.error().describe());
  auto note = noteLocalConfig(*api, flags.file);
  if (!note) return reportError(note.error().describe());
  if (*note) std::cerr << **note << "\n";
  auto d = api->post(path, body);
  if (!d) return reportError(asFlags(d.error()).describe());
  auto headline = headlineOf(*d);
  if (auto regions = regionsOf(*d); !regions.empty()) headline += "\n  regions in waves: " + wavesLine(regions);
  return followSubmitted(*api, *d, headline, FollowOptions{flags.json, flags.wait, false, flags.throughBake},
                         flags.detach);
}

}  // namespace ramp::cli
