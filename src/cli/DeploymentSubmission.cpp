#include "cli/DeploymentSubmission.h"

#include <iostream>

#include "cli/ApiClient.h"
#include "cli/ConfigInForce.h"
#include "cli/Follow.h"

namespace ramp::cli {

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
