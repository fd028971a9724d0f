// `ramp apply --env ENV [--region R]... [--yes] [--allow-destroy] [--parallel-regions N]
//              [--continue-on-region-failure] [--json] [-f CONFIG]`
// `ramp apply FILE [--env ENV] [...]`
//
// Without FILE: asks the controller for the plan, shows it, asks for
// confirmation on a terminal (not a terminal and no --yes: refused, nothing
// applied), then applies exactly that plan (POST /api/v1/infra/apply with
// the plan: refused if the state changed in between). With FILE (from
// `ramp plan -o FILE`): applies exactly the saved plan, refused when stale
// (the message names the region whose state changed).
// Exit codes: 0 applied (or nothing to do), 1 error or any change failed.
#include <unistd.h>

#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "cli/ApiClient.h"
#include "cli/CommandRegistry.h"
#include "cli/InfraRequestBody.h"

namespace ramp::cli {

namespace {

struct ApplyArgs {
  std::string planFile;
  std::string env;
  std::vector<std::string> regions;
  std::optional<std::string> file;
  bool yes = false;
  bool allowDestroy = false;
  int parallelRegions = 1;
  bool continueOnRegionFailure = false;
  bool json = false;
};

int printReport(const nlohmann::json& r, bool json) {
  const nlohmann::json& report = r["report"];
  if (json) {
    std::cout << report.dump(2) << std::endl;
  } else {
    for (const auto& c : report.value("changes", nlohmann::json::array())) {
      std::string status = c.value("status", "");
      std::cout << fmt::format("  {:<7} {:<7} {}{}{}\n", status, c.value("action", ""), c.value("address", ""),
                               c.value("resumed", false) ? " (resumed from an interrupted apply)" : "",
                               c.contains("message") && status != "done" ? ": " + c.value("message", "") : "");
    }
    const auto& n = report["counts"];
    std::cout << fmt::format("Apply {}: {} done, {} failed, {} skipped ({} resumed); apply id {}\n",
                             report.value("ok", false) ? "complete" : "INCOMPLETE", n.value("done", 0),
                             n.value("failed", 0), n.value("skipped", 0), n.value("resumed", 0),
                             report.value("apply_id", ""));
    if (!report.value("ok", false)) {
      std::cout << "Fix the failures above and run apply again: it converges (done changes are not repeated).\n";
    }
  }
  return report.value("ok", false) ? kExitOk : kExitFailure;
}

int runApply(Cli& cli, ApplyArgs a) {
  nlohmann::json saved;
  if (!a.planFile.empty()) {
    std::ifstream in(a.planFile);
    if (!in) return reportError(a.planFile + ": cannot read the saved plan");
    saved = nlohmann::json::parse(in, nullptr, false);
    if (saved.is_discarded() || !saved.is_object()) {
      return reportError(a.planFile + ": not a saved plan (expected the JSON written by `ramp plan -o`)");
    }
    std::string planEnv = saved.value("env", "");
    if (a.env.empty()) a.env = planEnv;
    if (a.env != planEnv) {
      return reportError(fmt::format("--env: the saved plan {} is for environment '{}', not '{}'", a.planFile,
                                     planEnv, a.env));
    }
    if (a.env.empty()) return reportError(a.planFile + ": the saved plan names no environment");
  } else if (a.env.empty()) {
    return reportError("--env: which environment? (or give a saved plan: ramp apply FILE)");
  }
  auto body = infraRequestBody(a.file, a.env, a.regions);
  if (!body) return reportError(body.error().describe());
  auto api = ApiClient::connect(cli.global);
  if (!api) return reportError(api.error().describe());

  if (saved.is_null()) {
    auto p = api->post("/api/v1/infra/plan", *body);
    if (!p) return reportError(p.error().describe());
    if (!a.json) std::cout << p->value("text", "");
    const bool resumeOnly = p->value("no_op", false) && p->value("open_intents", 0) > 0;
    if (p->value("no_op", false) && !resumeOnly) {
      if (a.json) std::cout << nlohmann::json{{"no_op", true}, {"env", a.env}}.dump(2) << std::endl;
      return kExitOk;
    }
    // Resuming an interrupted apply finishes what was confirmed before: no question.
    if (!a.yes && !resumeOnly) {
      if (!::isatty(0)) {
        return reportError("--yes: standard input is not a terminal, so apply cannot ask for confirmation; "
                           "nothing was applied (pass --yes, or save a plan with -o and apply that file)");
      }
      std::cout << "Apply these changes to " << a.env << "? Only 'yes' is accepted: " << std::flush;
      std::string answer;
      std::getline(std::cin, answer);
      if (answer != "yes") {
        std::cout << "Nothing applied.\n";
        return kExitFailure;
      }
    }
    saved = (*p)["plan"];
  } else if (!a.json) {
    std::cout << "Applying the saved plan " << a.planFile << " to " << a.env << "\n";
  }
  (*body)["plan"] = saved;
  if (a.allowDestroy) (*body)["allow_destroy"] = true;
  if (a.parallelRegions != 1) (*body)["parallel_regions"] = a.parallelRegions;
  if (a.continueOnRegionFailure) (*body)["continue_on_region_failure"] = true;
  auto r = api->post("/api/v1/infra/apply", *body);
  if (!r) return reportError(r.error().describe());
  return printReport(*r, a.json);
}

void addApply(Cli& cli) {
  auto args = std::make_shared<ApplyArgs>();
  auto* cmd = cli.app.add_subcommand("apply", "Change an environment's infrastructure to match the config");
  cmd->footer(
      "Examples:\n  ramp apply --env int --yes\n  ramp plan --env prod -o prod.plan && ramp apply prod.plan\n"
      "  ramp apply --env prod --allow-destroy --yes   # after removing a region");
  cmd->add_option("plan", args->planFile, "A plan saved with `ramp plan -o FILE` (applied exactly, refused if stale)");
  cmd->add_option("--env,-e", args->env, "Environment (optional with a saved plan)");
  cmd->add_option("--region", args->regions, "Only this region (repeatable)");
  cmd->add_option("-f,--file", args->file, "Config file (default ./ramp.yaml)");
  cmd->add_flag("--yes,-y", args->yes, "Do not ask for confirmation (required when not on a terminal)");
  cmd->add_flag("--allow-destroy", args->allowDestroy, "Allow deleting every resource of a region");
  cmd->add_option("--parallel-regions", args->parallelRegions, "Regions applied at once (default 1)")
      ->check(CLI::Range(1, 64));
  cmd->add_flag("--continue-on-region-failure", args->continueOnRegionFailure,
                "Go on with the next regions when one fails (default: stop)");
  cmd->add_flag("--json", args->json, "Machine-readable output");
  cmd->callback([&cli, args] { cli.exitCode = runApply(cli, *args); });
}

}  // namespace

RAMP_COMMAND(61, addApply)

}  // namespace ramp::cli
