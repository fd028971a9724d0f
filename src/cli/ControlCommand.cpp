// `ramp pause | resume | promote-now | abort SERVICE --env ENV [--comment WHY]`
// — manual controls on the deployment in progress, recorded with who used
// them and why.
// resume and promote-now follow the deployment afterwards (like deploy);
// abort follows it until the canary is gone.
#include <iostream>

#include "cli/ApiClient.h"
#include "cli/CommandRegistry.h"
#include "cli/DeploymentAction.h"
#include "cli/Follow.h"

namespace ramp::cli {

namespace {

int runControl(Cli& cli, const std::string& action, const DeploymentAction& a) {
  auto api = ApiClient::connect(cli.global);
  if (!api) return reportError(api.error().describe());
  nlohmann::json body = a.body();
  body["action"] = action;
  auto r = api->post("/api/v1/control", body);
  if (!r) return reportError(r.error().describe());
  std::string id = r->value("id", "");
  if (action == "pause" || a.detach) {
    if (a.json) {
      std::cout << r->dump(2) << std::endl;
    } else {
      std::cout << id << " " << r->value("state", "") << ": " << r->value("reason", "") << std::endl;
    }
    return kExitOk;
  }
  int rc = followDeployment(*api, id, FollowOptions{a.json, false, false});
  if (action == "abort") {
    auto d = api->get("/api/v1/deployments/" + id);
    return d && d->value("state", "") == "aborted" ? kExitOk : kExitFailure;
  }
  return rc;
}

void addOne(Cli& cli, const std::string& action, const std::string& help) {
  auto [cmd, args] = addCommand<DeploymentAction>(
      cli, cli.app, action, help,
      "Examples:\n  ramp " + action + " crawler --env prod\n  ramp " + action + " crawler --env prod --detach --json",
      [action](Cli& c, const DeploymentAction& a) { return runControl(c, action, a); });
  args->addOptions(cmd, "Return at once");
}

void addControls(Cli& cli) {
  addOne(cli, "pause", "Hold a deployment at its current step and weight");
  addOne(cli, "resume", "Continue a paused deployment (also ends a pause-until-resumed step)");
  addOne(cli, "promote-now", "Skip the remaining canary steps and move all traffic to the canary");
  addOne(cli, "abort", "Undo the deployment in progress: traffic back to stable, the new fleet retired");
}

}  // namespace

RAMP_COMMAND(32, addControls)

}  // namespace ramp::cli
