// `ramp user add NAME --role ROLE[@ENV]... | list [--json] | disable NAME |
//  grant NAME --role ROLE[@ENV] | revoke-role NAME --role ROLE[@ENV]`
// — the people and scripts of a world and their roles per environment
// (viewer, deployer, approver, hotfix, admin; no @ENV = every environment).
// Admin only (server/IdentityRoutes.h); every change is an audit event.
#include <iostream>

#include <fmt/format.h>

#include "cli/ApiClient.h"
#include "cli/CommandRegistry.h"
#include "cli/Options.h"
#include "server/Identity.h"

namespace ramp::cli {

namespace {

using nlohmann::json;

struct UserArgs {
  std::string name;
  std::vector<std::string> roles;
  bool json = false;
};

std::string rolesText(const json& roles) {
  std::string out;
  if (!roles.is_object()) return out;
  for (const auto& [env, list] : roles.items())
    for (const auto& r : list) out += (out.empty() ? "" : ",") + r.get<std::string>() + "@" + env;
  return out.empty() ? "-" : out;
}

int runAdd(Cli& cli, const UserArgs& a) {
  auto roles = server::Identity::rolesFromSpecs(a.roles, "--role");
  if (!roles) return reportError(roles.error().describe());
  return postAndReport(cli.global, "/api/v1/users", {{"name", a.name}, {"roles", *roles}}, a.json, [&a](const json& r) {
    return fmt::format("user {} added with roles {}\n", a.name, rolesText(r.value("roles", json())));
  });
}

int runList(Cli& cli, const UserArgs& a) {
  auto api = ApiClient::connect(cli.global);
  if (!api) return reportError(api.error().describe());
  auto r = api->get("/api/v1/users");
  if (!r) return reportError(r.error().describe());
  if (a.json) {
    std::cout << r->dump(2) << std::endl;
    return kExitOk;
  }
  std::cout << fmt::format("{:<24} {:<9} {:<24} {}\n", "NAME", "STATE", "CREATED", "ROLES");
  for (const auto& u : *r) {
    std::cout << fmt::format("{:<24} {:<9} {:<24} {}\n", u.value("name", ""),
                             u.value("disabled", false) ? "disabled" : "active",
                             u["created_at"].is_string() ? u["created_at"].get<std::string>() : "-",
                             rolesText(u["roles"]));
  }
  return kExitOk;
}

int runDisable(Cli& cli, const UserArgs& a) {
  return postAndReport(cli.global, "/api/v1/users/" + a.name + "/disable", json::object(), a.json,
                       [&a](const json&) { return fmt::format("user {} disabled: its tokens no longer work\n", a.name); });
}

int runRole(Cli& cli, const UserArgs& a, bool grant) {
  if (a.roles.empty()) return reportError("--role: give at least one ROLE[@ENV]");
  auto parsed = server::Identity::rolesFromSpecs(a.roles, "--role");
  if (!parsed) return reportError(parsed.error().describe());
  auto api = ApiClient::connect(cli.global);
  if (!api) return reportError(api.error().describe());
  json last;
  for (const auto& [env, list] : parsed->items()) {
    for (const auto& role : list) {
      auto r = api->post("/api/v1/users/" + a.name + (grant ? "/grant" : "/revoke-role"),
                         {{"role", role}, {"env", env}});
      if (!r) return reportError(r.error().describe());
      last = *r;
    }
  }
  if (a.json) std::cout << last.dump(2) << std::endl;
  else std::cout << fmt::format("user {} now has roles {}\n", a.name, rolesText(last["roles"]));
  return kExitOk;
}

void addUser(Cli& cli) {
  auto* user = cli.app.add_subcommand("user", "Manage users and their roles per environment (admin)");
  user->footer("Examples:\n  ramp user add rita --role approver@prod --role deployer@int\n  ramp user list --json");
  user->require_subcommand(1);
  // Every user subcommand: NAME (but list), --role as `roles` says, --json.
  enum class Roles { kNone, kOptional, kRequired };
  auto addUserCommand = [&cli, user](const std::string& name, const std::string& help, const std::string& examples,
                                     bool named, Roles roles, auto run) {
    auto [cmd, args] = addCommand<UserArgs>(cli, *user, name, help, examples, run);
    if (named) cmd->add_option("name", args->name, "User name")->required();
    if (roles != Roles::kNone) {
      auto* role = cmd->add_option(
          "--role", args->roles,
          "ROLE[@ENV]: viewer|deployer|approver|hotfix|admin, @ENV limits it to one environment (repeatable)");
      if (roles == Roles::kRequired) role->required();
    }
    jsonFlag(cmd, args->json);
  };
  addUserCommand("add", "Add a user", "Examples:\n  ramp user add rita --role approver@prod --role deployer@int", true,
                 Roles::kOptional, runAdd);
  addUserCommand("list", "List users and their roles", "Examples:\n  ramp user list\n  ramp user list --json", false,
                 Roles::kNone, runList);
  addUserCommand("disable", "Disable a user (its tokens stop working at once)", "Examples:\n  ramp user disable rita",
                 true, Roles::kNone, runDisable);
  addUserCommand("grant", "Give a user roles", "Examples:\n  ramp user grant rita --role hotfix@prod", true,
                 Roles::kRequired, [](Cli& c, const UserArgs& a) { return runRole(c, a, true); });
  addUserCommand("revoke-role", "Take roles away from a user", "Examples:\n  ramp user revoke-role rita --role hotfix@prod",
                 true, Roles::kRequired, [](Cli& c, const UserArgs& a) { return runRole(c, a, false); });
}

}  // namespace

RAMP_COMMAND(85, addUser)

}  // namespace ramp::cli
