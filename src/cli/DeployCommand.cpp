// `ramp deploy SERVICE --env ENV --version V [--strategy S] [--region R]
//              [-f CONFIG] [--detach] [--wait] [--json] [--queue]
//              [--hotfix --reason TEXT]`
//
// Without --region, an environment with several regions is deployed across
// all of them in waves, one region after the other (docs/deployments.md);
// --region deploys that region alone.
// --rollback-all-regions: a rollback in one region also rolls back the
// regions that already took the release (docs/deployments.md).
//
// Into a later pipeline stage only a release that succeeded in the stage
// before may be deployed (ramp promote does that for you); --hotfix skips the
// pipeline order (needs the hotfix role and a reason). --queue waits behind a
// deployment in progress instead of being refused (docs/pipeline.md).
//
// The request names service, environment, version, region and options;
// the controller renders the service from its config of record (the
// version in force, `ramp config push`), never from the local ramp.yaml.
// When the local ramp.yaml (or -f) differs from the version in force the
// user is told, and the deployment runs with the version in force
// (cli/ConfigInForce.h). --strategy is accepted only where the
// environment's policy asks for no approvals. Follows the deployment until
// it ends or waits on a person. Exit codes: 0 succeeded, 1 failed or
// refused, 3 rolled back, 4 waiting.
#include <iostream>

#include <fmt/format.h>

#include "cli/CommandRegistry.h"
#include "cli/DeploymentSubmission.h"
#include "cli/Options.h"
#include "cli/ReadScope.h"

namespace ramp::cli {

namespace {

struct DeployArgs {
  std::string service;
  std::string env;
  std::string version;
  std::string strategy;
  bool hotfix = false;
  std::string reason;
  SubmitFlags submit;
};

int runDeploy(Cli& cli, const DeployArgs& a) {
  if (a.hotfix && a.reason.find_first_not_of(" \t\r\n") == std::string::npos) {
    return reportError("--hotfix needs --reason \"why this cannot wait for the pipeline\"");
  }
  if (!a.hotfix && !a.reason.empty()) return reportError("--reason goes with --hotfix");
  nlohmann::json body{{"service", a.service}, {"env", a.env}, {"version", a.version}};
  if (!a.strategy.empty()) body["strategy"] = a.strategy;
  if (a.hotfix) {
    body["hotfix"] = true;
    body["reason"] = a.reason;
  }
  return submitAndFollow(
      cli, "/api/v1/deployments", std::move(body), a.submit,
      [](const Error& e) { return asTyped(e, "SERVICE", "--env"); },
      [&a](const nlohmann::json& d) {
        // The release's digest, as `release create` and `promote` show it;
        // the config's digest and version are named as such.
        return fmt::format("deploying {} {} ({}) to {} ({}, config {} version {}) as {}{}", a.service, a.version,
                           d.value("digest", "").substr(0, 19), a.env, d.value("strategy", ""),
                           d.value("config_digest", "").substr(0, 19),
                           d.value("config_version", nlohmann::json(0)).dump(), d.value("id", ""),
                           a.hotfix ? " [HOTFIX: " + a.reason + "]" : std::string());
      });
}

void addDeploy(Cli& cli) {
  auto [cmd, args] = addCommand<DeployArgs>(
      cli, cli.app, "deploy", "Deploy a release of a service to an environment",
      "\nExamples:\n  ramp deploy crawler --env int --version 1.4.0\n"
      "  ramp deploy crawler --env prod --version 1.4.1 --hotfix --reason \"CVE-2026-1234\"\n"
      "Exit codes: 0 succeeded, 1 failed, 3 rolled back, 4 waiting on a person.",
      runDeploy);
  auto& submit = args->submit;
  addOption(cmd, kServiceArgument, args->service)->required();
  addOption(cmd, kEnvOption, args->env)->required();
  addOption(cmd, kReleaseVersionOption, args->version, "Release version (ramp release create first)")->required();
  cmd->add_option("--strategy", args->strategy, "Override the strategy: bluegreen, canary, all-at-once");
  addOption(cmd, kRegionOption, submit.region,
            "Deploy this region alone (default: every region of the environment, one wave per region)");
  addOption(cmd, kConfigFileOption, submit.file,
            "Local config to compare with the config of record in force (default ./ramp.yaml); the "
            "deployment always runs with the version in force");
  submit.addFollowFlags(cmd, "--detach");
  cmd->add_flag("--hotfix", args->hotfix, "Out of pipeline order (needs the hotfix role and --reason)");
  cmd->add_option("--reason", args->reason, "Why this hotfix cannot wait (required with --hotfix)");
  submit.addQueueFlag(cmd);
  submit.addRollbackAllRegionsFlag(cmd);
  submit.addThroughBakeFlag(cmd);
}

}  // namespace

RAMP_COMMAND(30, addDeploy)

}  // namespace ramp::cli
