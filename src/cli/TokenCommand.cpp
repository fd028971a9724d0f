// `ramp token create --user NAME [--name N] [--expires 30d] [--json] |
//  list [--user NAME] [--json] | revoke ID` — API tokens (admin only).
// create prints the token once (it is stored only as a sha256 hash); list
// never shows it; revoke takes effect at once.
#include <iostream>

#include <fmt/format.h>

#include "cli/ApiClient.h"
#include "cli/CommandRegistry.h"
#include "cli/Options.h"
#include "core/Duration.h"

namespace ramp::cli {

namespace {

using nlohmann::json;

struct TokenArgs {
  std::string user;
  std::string name;
  std::string expires;
  std::string id;
  bool json = false;
};

std::string str(const json& j, const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : "-"; }

int runCreate(Cli& cli, const TokenArgs& a) {
  if (!a.expires.empty()) {
    auto d = parseDuration(a.expires);
    if (!d) return reportError("--expires: " + d.error().message + " (e.g. 30d, 12h, 90s)");
    if (d->count() <= 0) return reportError("--expires: must be a positive duration (a token that has already expired is useless)");
  }
  auto api = ApiClient::connect(cli.global);
  if (!api) return reportError(api.error().describe());
  json body{{"user", a.user}};
  if (!a.name.empty()) body["name"] = a.name;
  if (!a.expires.empty()) body["expires"] = a.expires;
  auto r = api->post("/api/v1/tokens", body);
  if (!r) return reportError(r.error().describe());
  if (a.json) {
    std::cout << r->dump(2) << std::endl;
  } else {
    std::cerr << fmt::format("token {} for {} (expires {}); it is shown only this once:\n", str(*r, "id"), a.user,
                             str(*r, "expires_at"));
    std::cout << str(*r, "token") << std::endl;
  }
  return kExitOk;
}

int runList(Cli& cli, const TokenArgs& a) {
  auto api = ApiClient::connect(cli.global);
  if (!api) return reportError(api.error().describe());
  auto r = api->get("/api/v1/tokens" + (a.user.empty() ? std::string() : "?user=" + a.user));
  if (!r) return reportError(r.error().describe());
  if (a.json) {
    std::cout << r->dump(2) << std::endl;
    return kExitOk;
  }
  std::cout << fmt::format("{:<16} {:<16} {:<14} {:<8} {:<24} {:<24} {}\n", "ID", "USER", "NAME", "STATE", "CREATED",
                           "LAST USED", "EXPIRES");
  for (const auto& t : *r) {
    std::string lastUsed = str(t, "last_used_at");
    std::cout << fmt::format("{:<16} {:<16} {:<14} {:<8} {:<24} {:<24} {}\n", str(t, "id"), str(t, "user"),
                             str(t, "name"), str(t, "state"), str(t, "created_at"), lastUsed == "-" ? "never" : lastUsed,
                             str(t, "expires_at"));
  }
  return kExitOk;
}

int runRevoke(Cli& cli, const TokenArgs& a) {
  return postAndReport(cli.global, "/api/v1/tokens/" + a.id + "/revoke", json::object(), a.json, [&a](const json& r) {
    return fmt::format("token {} of {} revoked at {}\n", a.id, str(r, "user"), str(r, "revoked_at"));
  });
}

void addToken(Cli& cli) {
  auto* token = cli.app.add_subcommand("token", "Manage API tokens (admin)");
  token->footer("Examples:\n  ramp token create --user ci --name pipeline --expires 30d\n  ramp token list --json");
  token->require_subcommand(1);

  auto [create, c] = addCommand<TokenArgs>(
      cli, *token, "create", "Create a token for a user (printed once)",
      "Examples:\n  ramp token create --user ci --name pipeline --expires 30d\n  ramp token create --user ci --json",
      runCreate);
  create->add_option("--user", c->user, "Whose token")->required();
  create->add_option("--name", c->name, "What it is for (e.g. ci)");
  create->add_option("--expires", c->expires, "Lifetime, e.g. 30d or 12h (default: never)");
  jsonFlag(create, c->json, "Machine-readable output (includes the token)");

  auto [list, l] = addCommand<TokenArgs>(cli, *token, "list", "List tokens (never the tokens themselves)",
                                         "Examples:\n  ramp token list\n  ramp token list --user ci --json", runList);
  list->add_option("--user", l->user, "Only this user's");
  jsonFlag(list, l->json);

  auto [revoke, r] = addCommand<TokenArgs>(cli, *token, "revoke", "Revoke a token (refused from the next request on)",
                                           "Examples:\n  ramp token revoke tok-1a2b3c", runRevoke);
  revoke->add_option("id", r->id, "Token id (tok-...)")->required();
  jsonFlag(revoke, r->json);
}

}  // namespace

RAMP_COMMAND(86, addToken)

}  // namespace ramp::cli
