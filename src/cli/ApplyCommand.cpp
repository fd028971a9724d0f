// `ramp apply --env ENV [--region R]... [--yes] [--allow-destroy] [--parallel-regions N]
//              [--continue-on-region-failure] [--json] [-f CONFIG]`
// `ramp apply FILE [--env ENV] [...]`
//
// Without FILE: asks the controller for the plan, shows it, asks for
// confirmation on a terminal (not a terminal and no --yes: refused, nothing
// applied), then applies exactly that plan (POST /api/v1/infra/apply with
// the plan: refused if the state changed in between). With FILE (from
// `ramp plan -o FILE`): applies exactly the saved plan, refused when stale
// (the message names the region whose state changed). --allow-destroy:
// the plan may remove a whole region, and it deletes leftovers too
// (resources with the environment's tags no state knows).
// On an environment whose approval policy asks for approvals (PROD), the
// controller records the plan as a pending infrastructure change instead:
// apply prints its id and the `ramp approve ID` someone else must run, and
// exits 4 (waiting on a person) — or, with --wait, follows the change
// (bounded by --wait-timeout) until it is applied (0) or ends failed,
// rejected or expired (1); still waiting at the timeout: 4.
// Exit codes: 0 applied (or nothing to do), 1 error or any change failed,
// 4 awaiting approval.
#include <chrono>
#include <thread>

#include <unistd.h>

#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "cli/ApiClient.h"
#include "cli/CommandRegistry.h"
#include "cli/InfraRequestBody.h"
#include "cli/Options.h"

namespace ramp::cli {

namespace {

struct ApplyArgs {
  std::string planFile;
  InfraTarget target;
  bool yes = false;
  bool allowDestroy = false;
  int parallelRegions = 1;
  bool continueOnRegionFailure = false;
  bool json = false;
  bool wait = false;
  int waitTimeout = 3600;  // seconds
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

std::string approvalSummary(const nlohmann::json& c) {
  const nlohmann::json& ap = c.contains("approval") && c["approval"].is_object() ? c["approval"] : nlohmann::json::object();
  std::string roles;
  for (const auto& x : ap.value("roles", nlohmann::json::array())) {
    roles += (roles.empty() ? "" : " or ") + x.get<std::string>();
  }
  return fmt::format("{} of {} approval(s), by someone with the role {} in {} other than {}{}", ap.value("approvals_count", 0),
                     ap.value("required", 0), roles, c.value("env", ""), ap.value("requester", ""),
                     ap.contains("expires_at") && ap["expires_at"].is_string()
                         ? "; expires " + ap["expires_at"].get<std::string>()
                         : "");
}

// The change was recorded pending: say what is needed, then wait (--wait) or exit 4.
int awaitApproval(ApiClient& api, nlohmann::json change, const ApplyArgs& a) {
  const std::string id = change.value("id", "");
  if (!a.json) {
    std::cout << fmt::format("{} awaits approval: {}.\nNothing is applied until then. To approve (applies exactly "
                             "this plan, digest {}):\n  ramp approve {}\nTo reject:\n  ramp reject {} --comment "
                             "\"why\"\n",
                             id, approvalSummary(change), change.value("plan_digest", "").substr(0, 12), id, id);
  }
  if (a.wait) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(a.waitTimeout);
    std::string lastReason = change.value("reason", "");
    for (int i = 0; i < 1'000'000 && std::chrono::steady_clock::now() < deadline; ++i) {
      std::string state = change.value("state", "");
      if (state == "applied" || state == "failed" || state == "rejected" || state == "expired") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      auto c = api.get("/api/v1/infra/changes/" + id);
      if (!c) return reportError(c.error().describe());
      change = *c;
      if (!a.json && change.value("reason", "") != lastReason) {
        lastReason = change.value("reason", "");
        std::cout << id << ": " << lastReason << std::endl;
      }
    }
  }
  const std::string state = change.value("state", "");
  if (a.json) std::cout << change.dump(2) << std::endl;
  if (state == "applied" || state == "failed") {
    if (!a.json && change.contains("report") && change["report"].is_object()) {
      printReport(nlohmann::json{{"report", change["report"]}}, false);
    }
    if (!a.json && state == "failed") std::cout << id << " failed: " << change.value("reason", "") << std::endl;
    return state == "applied" ? kExitOk : kExitFailure;
  }
  if (state == "rejected" || state == "expired") {
    if (!a.json) std::cout << id << " " << state << ": " << change.value("reason", "") << std::endl;
    return kExitFailure;
  }
  return kExitWaiting;
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
    if (a.target.env.empty()) a.target.env = planEnv;
    if (a.target.env != planEnv) {
      return reportError(fmt::format("--env: the saved plan {} is for environment '{}', not '{}'", a.planFile,
                                     planEnv, a.target.env));
    }
    if (a.target.env.empty()) return reportError(a.planFile + ": the saved plan names no environment");
  } else if (a.target.env.empty()) {
    return reportError("--env: which environment? (or give a saved plan: ramp apply FILE)");
  }
  auto body = infraRequestBody(a.target);
  if (!body) return reportError(body.error().describe());
  auto api = ApiClient::connect(cli.global);
  if (!api) return reportError(api.error().describe());

  if (saved.is_null()) {
    // --allow-destroy: the plan shown (and applied) deletes leftovers too.
    nlohmann::json planBody = *body;
    if (a.allowDestroy) planBody["delete_leftovers"] = true;
    auto p = api->post("/api/v1/infra/plan", planBody);
    if (!p) return reportError(p.error().describe());
    if (!a.json) std::cout << p->value("text", "");
    const bool resumeOnly = p->value("no_op", false) && p->value("open_intents", 0) > 0;
    if (p->value("no_op", false) && !resumeOnly) {
      if (a.json) std::cout << nlohmann::json{{"no_op", true}, {"env", a.target.env}}.dump(2) << std::endl;
      return kExitOk;
    }
    // Resuming an interrupted apply finishes what was confirmed before: no question.
    if (!a.yes && !resumeOnly) {
      if (!::isatty(0)) {
        return reportError("--yes: standard input is not a terminal, so apply cannot ask for confirmation; "
                           "nothing was applied (pass --yes, or save a plan with -o and apply that file)");
      }
      std::cout << "Apply these changes to " << a.target.env << "? Only 'yes' is accepted: " << std::flush;
      std::string answer;
      std::getline(std::cin, answer);
      if (answer != "yes") {
        std::cout << "Nothing applied.\n";
        return kExitFailure;
      }
    }
    saved = (*p)["plan"];
  } else if (!a.json) {
    std::cout << "Applying the saved plan " << a.planFile << " to " << a.target.env << "\n";
  }
  (*body)["plan"] = saved;
  if (a.allowDestroy) (*body)["allow_destroy"] = true;
  if (a.parallelRegions != 1) (*body)["parallel_regions"] = a.parallelRegions;
  if (a.continueOnRegionFailure) (*body)["continue_on_region_failure"] = true;
  auto r = api->post("/api/v1/infra/apply", *body);
  if (!r) return reportError(r.error().describe());
  if (r->contains("change")) return awaitApproval(*api, (*r)["change"], a);
  return printReport(*r, a.json);
}

void addApply(Cli& cli) {
  auto [cmd, args] = addCommand<ApplyArgs>(
      cli, cli.app, "apply", "Change an environment's infrastructure to match the config",
      "Examples:\n  ramp apply --env int --yes\n  ramp plan --env prod -o prod.plan && ramp apply prod.plan\n"
      "  ramp apply --env prod --allow-destroy --yes   # after removing a region\n"
      "  ramp apply --env prod --yes --wait            # PROD: waits for `ramp approve infra-...`\n"
      "Exit codes: 0 applied (or nothing to do), 1 error or a change failed, 4 awaiting approval.",
      runApply);
  cmd->add_option("plan", args->planFile, "A plan saved with `ramp plan -o FILE` (applied exactly, refused if stale)");
  addOption(cmd, kEnvOption, args->target.env, "Environment (optional with a saved plan)");
  addOption(cmd, kRegionOption, args->target.regions, "Only this region (repeatable)");
  addOption(cmd, kConfigFileOption, args->target.file);
  cmd->add_flag("--yes,-y", args->yes, "Do not ask for confirmation (required when not on a terminal)");
  cmd->add_flag("--allow-destroy", args->allowDestroy,
                "Allow deleting every resource of a region, and delete leftovers (ramp-tagged, unknown to any state)");
  cmd->add_option("--parallel-regions", args->parallelRegions, "Regions applied at once (default 1)")
      ->check(CLI::Range(1, 64));
  cmd->add_flag("--continue-on-region-failure", args->continueOnRegionFailure,
                "Go on with the next regions when one fails (default: stop)");
  jsonFlag(cmd, args->json);
  cmd->add_flag("--wait", args->wait,
                "On an environment that needs approval: wait until the change is approved and applied "
                "(default: exit 4 at once with its id)");
  cmd->add_option("--wait-timeout", args->waitTimeout, "Seconds --wait waits at most (default 3600)")
      ->check(CLI::Range(1, 7 * 24 * 3600));
}

}  // namespace

RAMP_COMMAND(61, addApply)

}  // namespace ramp::cli
