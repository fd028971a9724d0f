// `ramp drift --env ENV [--region R]... [--json] [-f CONFIG]`
//
// Reads the real infrastructure of ENV (POST /api/v1/infra/drift) and
// reports resources changed or deleted outside ramp and leftovers (carrying
// ramp's tags, unknown to its state). Exit codes (for CI): 0 no drift,
// 2 drift found, 1 error.
#include <iostream>

#include "cli/ApiClient.h"
#include "cli/CommandRegistry.h"
#include "cli/InfraRequestBody.h"

namespace ramp::cli {

namespace {

struct DriftArgs {
  std::string env;
  std::vector<std::string> regions;
  std::optional<std::string> file;
  bool json = false;
};

int runDrift(Cli& cli, const DriftArgs& a) {
  auto body = infraRequestBody(a.file, a.env, a.regions);
  if (!body) return reportError(body.error().describe());
  auto api = ApiClient::connect(cli.global);
  if (!api) return reportError(api.error().describe());
  auto r = api->post("/api/v1/infra/drift", *body);
  if (!r) return reportError(r.error().describe());
  const nlohmann::json& report = (*r)["report"];
  if (a.json) std::cout << report.dump(2) << std::endl;
  else std::cout << r->value("text", "");
  return report.value("drift", false) ? kExitChanges : kExitOk;
}

void addDrift(Cli& cli) {
  auto args = std::make_shared<DriftArgs>();
  auto* cmd = cli.app.add_subcommand("drift", "Report infrastructure changed outside ramp (exit 2 when any)");
  cmd->footer("Examples:\n  ramp drift --env prod\n  ramp drift --env prod --json   # exit 0 clean, 2 drift, 1 error");
  cmd->add_option("--env,-e", args->env, "Environment")->required();
  cmd->add_option("--region", args->regions, "Also check this region (repeatable)");
  cmd->add_option("-f,--file", args->file, "Config file (default ./ramp.yaml)");
  cmd->add_flag("--json", args->json, "Machine-readable output");
  cmd->callback([&cli, args] { cli.exitCode = runDrift(cli, *args); });
}

}  // namespace

RAMP_COMMAND(62, addDrift)

}  // namespace ramp::cli
