// `ramp promote SERVICE --to ENV [--region R] [-f CONFIG] [--detach|--no-wait]
//               [--wait] [--json] [--queue]`
//
// Deploys into ENV exactly the release (same version and digest) that last
// succeeded in the stage before ENV in the pipeline. The controller renders
// the service for ENV from its config of record (the CLI only says when the
// local ramp.yaml differs from the version in force), chooses the release and refuses, with the reason, when
// nothing succeeded there, its soak has not passed (saying how long
// remains), or ENV is the first stage / not in the pipeline. The promotion
// goes through ENV's approval policy: waiting on a person exits 4.
// Exit codes: 0 succeeded, 1 failed or refused, 3 rolled back, 4 waiting.
#include <iostream>

#include <fmt/format.h>

#include "cli/CommandRegistry.h"
#include "cli/DeploymentSubmission.h"
#include "cli/Options.h"
#include "cli/ReadScope.h"

namespace ramp::cli {

namespace {

struct PromoteArgs {
  std::string service;
  std::string to;
  SubmitFlags submit;
};

int runPromote(Cli& cli, const PromoteArgs& a) {
  return submitAndFollow(
      cli, "/api/v1/promotions", {{"service", a.service}, {"to", a.to}}, a.submit,
      [](const Error& err) {
        auto e = asTyped(err, "SERVICE", "--to");
        if (e.where == "to") e.where = "--to";
        return e;
      },
      [&a](const nlohmann::json& d) {
        auto from = d.contains("promoted_from") && d["promoted_from"].is_string()
                        ? d["promoted_from"].get<std::string>()
                        : std::string("?");
        return fmt::format("promoting {} {} ({}) from {} to {} as {} (config version {})", a.service,
                           d.value("version", ""), d.value("digest", "").substr(0, 19), from, a.to,
                           d.value("id", ""), d.value("config_version", nlohmann::json(0)).dump());
      });
}

void addPromote(Cli& cli) {
  auto [cmd, args] = addCommand<PromoteArgs>(
      cli, cli.app, "promote", "Promote the release that succeeded in the previous stage",
      "\nExamples:\n  ramp promote crawler --to uat\n  ramp promote crawler --to prod --no-wait\n"
      "Exit codes: 0 succeeded, 1 failed or refused, 3 rolled back, 4 waiting on a person.",
      runPromote);
  auto& submit = args->submit;
  addOption(cmd, kServiceArgument, args->service)->required();
  cmd->add_option("--to,-t", args->to, "Target environment (a later stage of the pipeline)")->required();
  addOption(cmd, kRegionOption, submit.region,
            "Promote into this region alone (default: every region of the environment, one wave per region)");
  submit.addRollbackAllRegionsFlag(cmd);
  addOption(cmd, kConfigFileOption, submit.file,
            "Local config to compare with the config of record in force (default ./ramp.yaml)");
  submit.addFollowFlags(cmd, "--detach,--no-wait");
  submit.addQueueFlag(cmd);
  submit.addThroughBakeFlag(cmd);
}

}  // namespace

RAMP_COMMAND(31, addPromote)

}  // namespace ramp::cli
