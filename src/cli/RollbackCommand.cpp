// `ramp rollback SERVICE --env ENV [--comment WHY] [--detach] [--json]`
#include <iostream>

#include "cli/ApiClient.h"
#include "cli/CommandRegistry.h"
#include "cli/DeploymentAction.h"
#include "cli/Follow.h"

namespace ramp::cli {

namespace {

int runRollback(Cli& cli, const DeploymentAction& a) {
  auto api = ApiClient::connect(cli.global);
  if (!api) return reportError(api.error().describe());
  auto d = api->post("/api/v1/rollback", a.body());
  if (!d) return reportError(d.error().describe());
  std::string id = d->value("id", "");
  if (a.detach) {
    std::cout << (a.json ? d->dump(2) : id) << std::endl;
    return kExitOk;
  }
  int rc = followDeployment(*api, id, FollowOptions{a.json, false, false});
  // A rollback that ended rolled_back did what was asked.
  return rc == kExitRolledBack ? kExitOk : rc;
}

void addRollback(Cli& cli) {
  auto [cmd, args] = addCommand<DeploymentAction>(
      cli, cli.app, "rollback", "Switch back to the previous release (at once if its fleet is still warm)",
      "Examples:\n  ramp rollback crawler --env prod\n  ramp rollback crawler --env prod --detach --json", runRollback);
  args->addOptions(cmd, "Return at once with the deployment id");
}

}  // namespace

RAMP_COMMAND(31, addRollback)

}  // namespace ramp::cli
