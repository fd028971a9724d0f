// `ramp plan --env ENV [--region R]... [-o FILE] [--json] [--detailed-exitcode] [--no-refresh]
//            [--delete-leftovers] [-f CONFIG]`
//
// Asks the controller for the plan of ENV's infrastructure (POST
// /api/v1/infra/plan) and prints it (`+`, `~`, `-/+`, `-` and a summary),
// or its JSON (with "no_op"). -o FILE saves the plan for `ramp apply FILE`.
// --delete-leftovers: also the deletes of leftovers (resources with the
// environment's tags that no state knows and the configuration does not ask
// for), as `ramp apply --allow-destroy` plans them.
// Exit codes: 0 success; with --detailed-exitcode 0 no changes, 2 changes;
// 1 error.
#include <fstream>
#include <iostream>

#include "cli/ApiClient.h"
#include "cli/CommandRegistry.h"
#include "cli/InfraRequestBody.h"
#include "cli/Options.h"

namespace ramp::cli {

namespace {

struct PlanArgs {
  InfraTarget target;
  std::string out;
  bool json = false;
  bool detailed = false;
  bool noRefresh = false;
  bool deleteLeftovers = false;
};

int runPlan(Cli& cli, const PlanArgs& a) {
  auto body = infraRequestBody(a.target);
  if (!body) return reportError(body.error().describe());
  if (a.noRefresh) (*body)["refresh"] = false;
  if (a.deleteLeftovers) (*body)["delete_leftovers"] = true;
  auto api = ApiClient::connect(cli.global);
  if (!api) return reportError(api.error().describe());
  auto r = api->post("/api/v1/infra/plan", *body);
  if (!r) return reportError(r.error().describe());
  if (!a.out.empty()) {
    std::ofstream f(a.out, std::ios::trunc);
    f << (*r)["plan"].dump(2) << "\n";
    if (!f) return reportError("cannot write the plan to " + a.out + " (-o)");
  }
  if (a.json) {
    nlohmann::json out = (*r)["plan"];
    out["no_op"] = r->value("no_op", false);
    out["open_intents"] = r->value("open_intents", 0);  // an interrupted apply the next apply resumes
    std::cout << out.dump(2) << std::endl;
  } else {
    std::cout << r->value("text", "");
    if (!a.out.empty()) std::cout << "Saved the plan to " << a.out << "; apply exactly it with: ramp apply " << a.out << "\n";
  }
  if (a.detailed && !r->value("no_op", false)) return kExitChanges;
  return kExitOk;
}

void addPlan(Cli& cli) {
  auto [cmd, args] = addCommand<PlanArgs>(
      cli, cli.app, "plan", "Show what apply would change in an environment's infrastructure",
      "Examples:\n  ramp plan --env prod\n  ramp plan --env prod --region eu-west-1 -o prod.plan\n"
      "  ramp plan --env prod --detailed-exitcode   # 0 no changes, 2 changes, 1 error",
      runPlan);
  addOption(cmd, kEnvOption, args->target.env)->required();
  addOption(cmd, kRegionOption, args->target.regions, "Only this region (repeatable; default all of the env's)");
  addOption(cmd, kConfigFileOption, args->target.file);
  cmd->add_option("-o,--out", args->out, "Save the plan to FILE for `ramp apply FILE`");
  jsonFlag(cmd, args->json, "Machine-readable output (with no_op)");
  cmd->add_flag("--detailed-exitcode", args->detailed, "Exit 2 when there are changes, 0 when none");
  cmd->add_flag("--no-refresh", args->noRefresh, "Do not read the real state (plan from the recorded state only)");
  cmd->add_flag("--delete-leftovers", args->deleteLeftovers,
                "Also plan deleting leftovers (ramp-tagged, unknown to any state), as apply --allow-destroy does");
}

}  // namespace

RAMP_COMMAND(60, addPlan)

}  // namespace ramp::cli
