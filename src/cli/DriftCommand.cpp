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
#include "cli/Options.h"

namespace ramp::cli {

namespace {

struct DriftArgs {
  InfraTarget target;
  bool json = false;
};

int runDrift(Cli& cli, const DriftArgs& a) {
  auto body = infraRequestBody(a.target);
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
  auto [cmd, args] = addCommand<DriftArgs>(
      cli, cli.app, "drift", "Report infrastructure changed outside ramp (exit 2 when any)",
      "Examples:\n  ramp drift --env prod\n  ramp drift --env prod --json   # exit 0 clean, 2 drift, 1 error", runDrift);
  addOption(cmd, kEnvOption, args->target.env)->required();
  addOption(cmd, kRegionOption, args->target.regions, "Also check this region (repeatable)");
  addOption(cmd, kConfigFileOption, args->target.file);
  jsonFlag(cmd, args->json);
}

}  // namespace

RAMP_COMMAND(62, addDrift)

}  // namespace ramp::cli
