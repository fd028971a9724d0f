// `ramp approve ID [--comment TEXT] [--json]`
// `ramp reject ID --comment TEXT [--json]`
// `ramp approvals [SERVICE] [--env ENV] [--json]`
//
// Deciding on deployments that await approval (docs/pipeline.md), on pushes
// of the config of record that change a protected environment's policy (ids
// "cfg-N", from `ramp config push`; docs/access.md), and on
// infrastructure changes that await approval (ids "infra-...", from `ramp
// apply` on an environment with an approval policy; docs/infra.md). The
// controller applies the environment's policy: the requester never approves
// their own request (four-eyes), each person counts once, only the policy's
// roles may approve; a refusal prints the reason and exits 1. The last
// approval of an infrastructure change applies its plan before answering:
// exit 0 when it ends applied (or still waits for more approvals), 1 when
// it ends failed (e.g. stale: the state changed since the plan). `approvals`
// lists what waits (deployments, then infrastructure changes), with who may
// approve and who already did.
#include <iostream>

#include <fmt/format.h>

#include "cli/ApiClient.h"
#include "cli/CommandRegistry.h"
#include "cli/Options.h"
#include "cli/ReadScope.h"

namespace ramp::cli {

namespace {

using nlohmann::json;

struct DecideArgs {
  std::string id;
  std::string comment;
  bool json = false;
};

struct ListArgs {
  std::string service;
  std::string env;
  bool json = false;
};

std::string approvalLine(const json& a) {
  if (!a.is_object()) return "";
  std::string roles, by;
  for (const auto& r : a.value("roles", json::array())) roles += (roles.empty() ? "" : ",") + r.get<std::string>();
  for (const auto& x : a.value("approvals", json::array())) by += (by.empty() ? "" : ", ") + x.value("by", "");
  return fmt::format("{}/{} approvals (roles: {}; requested by {}{}{})", a.value("approvals_count", 0),
                     a.value("required", 0), roles, a.value("requester", ""),
                     by.empty() ? "" : "; approved by " + by,
                     a["expires_at"].is_string() ? "; expires " + a["expires_at"].get<std::string>() : "");
}

bool isInfraChange(const std::string& id) { return id.rfind("infra-", 0) == 0; }

int runDecide(Cli& cli, const DecideArgs& a, bool approve) {
  if (!approve && a.comment.find_first_not_of(" \t\r\n") == std::string::npos) {
    return reportError("--comment: a rejection needs a comment saying why");
  }
  auto api = ApiClient::connect(cli.global);
  if (!api) return reportError(api.error().describe());
  json body = json::object();
  if (!a.comment.empty()) body["comment"] = a.comment;
  if (isInfraChange(a.id)) {
    auto c = api->post("/api/v1/infra/changes/" + a.id + (approve ? "/approve" : "/reject"), body);
    if (!c) return reportError(c.error().describe());
    if (a.json) {
      std::cout << c->dump(2) << std::endl;
    } else {
      std::cout << fmt::format("{} {} (infrastructure of {}): {} ({})", approve ? "approved" : "rejected",
                               c->value("id", ""), c->value("env", ""), c->value("state", ""), c->value("reason", ""))
                << std::endl;
      if (c->contains("approval")) std::cout << "  " << approvalLine((*c)["approval"]) << std::endl;
    }
    return c->value("state", "") == "failed" ? kExitFailure : kExitOk;
  }
  auto d = api->post("/api/v1/approvals/" + a.id + (approve ? "/approve" : "/reject"), body);
  if (!d) return reportError(d.error().describe());
  if (!a.json && d->value("kind", "") == "config_change") {
    std::cout << fmt::format("{} {} (config version {} by {}): {}", approve ? "approved" : "rejected",
                             d->value("id", ""), d->value("version", 0), d->value("pushed_by", ""),
                             d->value("state", ""))
              << std::endl;
    const json& approvals = d->contains("approvals") && (*d)["approvals"].is_object() ? (*d)["approvals"] : json::object();
    for (auto it = approvals.begin(); it != approvals.end(); ++it) {
      std::cout << "  " << it.key() << ": " << approvalLine(it.value()) << std::endl;
    }
    return kExitOk;
  }
  if (a.json) {
    std::cout << d->dump(2) << std::endl;
    return kExitOk;
  }
  std::cout << fmt::format("{} {} {} {} in {}: {} ({})", approve ? "approved" : "rejected", d->value("id", ""),
                           d->value("service", ""), d->value("version", ""), d->value("env", ""),
                           d->value("state", ""), d->value("reason", ""))
            << std::endl;
  if (d->contains("approval")) std::cout << "  " << approvalLine((*d)["approval"]) << std::endl;
  return kExitOk;
}

int runList(Cli& cli, const ListArgs& a) {
  auto api = ApiClient::connect(cli.global);
  if (!api) return reportError(api.error().describe());
  if (auto s = checkReadScope(knownNames(&*api), a.service, "SERVICE", a.env, "--env"); !s) {
    return reportError(s.error().describe());
  }
  auto list = api->get("/api/v1/approvals?" + scopeQuery(a.service, a.env));
  if (!list) return reportError(list.error().describe());
  // Infrastructure changes awaiting approval (not of a service).
  json changes = json::array();
  if (a.service.empty()) {
    auto c = api->get("/api/v1/infra/changes" + (a.env.empty() ? std::string() : "?env=" + a.env));
    if (!c) return reportError(c.error().describe());
    for (const auto& x : *c) {
      if (x.value("state", "") == "pending") changes.push_back(x);
    }
  }
  for (const auto& x : changes) list->push_back(x);
  if (a.json) {
    std::cout << list->dump(2) << std::endl;
    return kExitOk;
  }
  if (list->empty()) {
    std::cout << "nothing awaits approval" << std::endl;
    return kExitOk;
  }
  for (const auto& d : *list) {
    if (d.value("kind", "") == "config_change") {
      std::cout << fmt::format("{}  config version {} by {}{}  {}", d.value("id", ""), d.value("version", 0),
                               d.value("pushed_by", ""),
                               d.value("message", "").empty() ? "" : " (\"" + d.value("message", "") + "\")",
                               d.value("may_approve", false) ? "[you may approve]" : "")
                << std::endl;
      for (const auto& line : d.value("summary", json::array())) std::cout << "  " << line.get<std::string>() << "\n";
      const json& approvals = d.contains("approvals") && d["approvals"].is_object() ? d["approvals"] : json::object();
      for (auto it = approvals.begin(); it != approvals.end(); ++it) {
        std::cout << "  " << it.key() << ": " << approvalLine(it.value()) << std::endl;
      }
      continue;
    }
    if (d.value("kind", "") == "infra_change") {
      const json& sum = d.contains("summary") && d["summary"].is_object() ? d["summary"] : json::object();
      std::cout << fmt::format("{}  infrastructure of {} ({} to add, {} to change, {} to replace, {} to destroy; plan "
                               "{})  {}",
                               d.value("id", ""), d.value("env", ""), sum.value("add", 0), sum.value("change", 0),
                               sum.value("replace", 0), sum.value("destroy", 0),
                               d.value("plan_digest", "").substr(0, 12),
                               d.value("may_approve", false) ? "[you may approve]" : "")
                << "\n  " << approvalLine(d["approval"]) << std::endl;
      continue;
    }
    std::cout << fmt::format("{}  {} {} -> {}{}{}  {}", d.value("id", ""), d.value("service", ""),
                             d.value("version", ""), d.value("env", ""),
                             d["promoted_from"].is_string() ? " (from " + d["promoted_from"].get<std::string>() + ")" : "",
                             d.value("hotfix", false) ? " HOTFIX: " + d.value("hotfix_reason", "") : "",
                             d.value("may_approve", false) ? "[you may approve]" : "")
              << "\n  " << approvalLine(d["approval"]) << std::endl;
  }
  return kExitOk;
}

void addApprovals(Cli& cli) {
  auto approve = addCommand<DecideArgs>(
      cli, cli.app, "approve", "Approve a deployment or infrastructure change that awaits approval",
      "Examples:\n  ramp approvals\n  ramp approve dep-42 --comment \"release notes checked\"\n"
      "  ramp approve infra-3f2a9c81d0e4   # applies the recorded plan of a PROD apply",
      [](Cli& c, const DecideArgs& a) { return runDecide(c, a, true); });
  approve.app->add_option("id", approve.args->id, "Deployment id or infrastructure change id (ramp approvals lists them)")
      ->required();
  addOption(approve.app, kCommentOption, approve.args->comment);
  jsonFlag(approve.app, approve.args->json, "Print the deployment as JSON");

  auto reject = addCommand<DecideArgs>(
      cli, cli.app, "reject",
      "Reject a deployment (it ends aborted) or an infrastructure change (nothing applied) that awaits approval",
      "Examples:\n  ramp reject dep-42 --comment \"not during the sale\"\n"
      "  ramp reject infra-3f2a9c81d0e4 --comment \"wrong region\"",
      [](Cli& c, const DecideArgs& a) { return runDecide(c, a, false); });
  reject.app->add_option("id", reject.args->id, "Deployment id or infrastructure change id")->required();
  addOption(reject.app, kCommentOption, reject.args->comment, "Why (required)")->required();
  jsonFlag(reject.app, reject.args->json, "Print the deployment as JSON");

  auto [l, list] = addCommand<ListArgs>(cli, cli.app, "approvals",
                                        "List deployments and infrastructure changes awaiting approval",
                                        "Examples:\n  ramp approvals\n  ramp approvals crawler --env prod --json", runList);
  addOption(l, kServiceArgument, list->service, "Only this service");
  addOption(l, kEnvOption, list->env, "Only this environment");
  jsonFlag(l, list->json);
}

}  // namespace

RAMP_COMMAND(33, addApprovals)

}  // namespace ramp::cli
