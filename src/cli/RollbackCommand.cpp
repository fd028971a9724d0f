// `ramp rollback SERVICE --env ENV [--comment WHY] [--detach] [--json]`
#include <iostream>

#include "cli/ApiClient.h"
#include "cli/CommandRegistry.h"
#include "cli/Follow.h"

namespace ramp::cli {

namespace {

struct RollbackArgs {
  std::string service;
  std::string env;
  std::string comment;
  bool detach = false;
  bool json = false;
};

int runRollback(Cli& cli, const RollbackArgs& a) {
  auto api = ApiClient::connect(cli.global);
  if (!api) return reportError(api.error().describe());
  nlohmann::json body{{"service", a.service}, {"env", a.env}};
  if (!a.comment.empty()) body["comment"] = a.comment;
  auto d = api->post("/api/v1/rollback", body);
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
  auto args = std::make_shared<RollbackArgs>();
  auto* cmd = cli.app.add_subcommand("rollback",
                                     "Switch back to the previous release (at once if its fleet is still warm)");
  cmd->footer("Examples:\n  ramp rollback crawler --env prod\n  ramp rollback crawler --env prod --detach --json");
  cmd->add_option("service", args->service, "Service name")->required();
  cmd->add_option("--env,-e", args->env, "Environment")->required();
  cmd->add_option("--comment,-m", args->comment, "Why (recorded in the audit)");
  cmd->add_flag("--detach", args->detach, "Return at once with the deployment id");
  cmd->add_flag("--json", args->json, "Machine-readable output");
  cmd->callback([&cli, args] { cli.exitCode = runRollback(cli, *args); });
}

}  // namespace

RAMP_COMMAND(31, addRollback)

}  // namespace ramp::cli
