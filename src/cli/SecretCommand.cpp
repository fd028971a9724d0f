// SecretCommand.cpp — `ramp secret set NAME` (value from stdin, never argv),
// `ramp secret list [--json]` (names only), `ramp secret rm NAME`.
// Secrets live in the home's secret store (config/SecretStore.h) and reach
// instances only through ${secret:NAME} references.
#include <unistd.h>

#include <iostream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "cli/CommandRegistry.h"
#include "cli/Options.h"
#include "config/SecretStore.h"
#include "core/Home.h"

namespace {

constexpr size_t kMaxSecretBytes = 64 * 1024;

struct SecretOptions {
  std::string name;
  bool json = false;
};

int runSet(ramp::cli::Cli& cli, const SecretOptions& o) {
  if (!ramp::config::SecretStore::validName(o.name)) {
    return ramp::cli::reportError("NAME: bad secret name '" + o.name.substr(0, 60) +
                                  "': use letters, digits, '_', '.', '-' (at most 128)");
  }
  if (::isatty(0)) std::cerr << "Enter the value of " << o.name << ", then end with Ctrl-D:\n";
  std::string value;
  char buf[4096];
  while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
    value.append(buf, static_cast<size_t>(std::cin.gcount()));
    if (value.size() > kMaxSecretBytes) return ramp::cli::reportError("secret value is larger than 64 KiB");
  }
  if (!value.empty() && value.back() == '\n') value.pop_back();
  if (!value.empty() && value.back() == '\r') value.pop_back();
  if (value.empty()) return ramp::cli::reportError("empty secret value on stdin; nothing stored");
  auto home = ramp::resolveHome(cli.global.home);
  if (auto s = ramp::ensureHome(home); !s) return ramp::cli::reportError(s.error().describe());
  ramp::config::SecretStore store(home);
  if (auto s = store.set(o.name, value); !s) return ramp::cli::reportError(s.error().describe());
  std::cerr << "secret " << o.name << " stored\n";
  return ramp::cli::kExitOk;
}

int runList(ramp::cli::Cli& cli, const SecretOptions& o) {
  ramp::config::SecretStore store(ramp::resolveHome(cli.global.home));
  auto names = store.list();
  if (!names) return ramp::cli::reportError(names.error().describe());
  if (o.json) {
    std::cout << nlohmann::json{{"secrets", *names}}.dump(2) << "\n";
  } else {
    for (const auto& n : *names) std::cout << n << "\n";
  }
  return ramp::cli::kExitOk;
}

int runRemove(ramp::cli::Cli& cli, const SecretOptions& o) {
  ramp::config::SecretStore store(ramp::resolveHome(cli.global.home));
  if (auto s = store.remove(o.name); !s) return ramp::cli::reportError(s.error().describe());
  std::cerr << "secret " << o.name << " removed\n";
  return ramp::cli::kExitOk;
}

// NAME, of `secret set` and `secret rm`.
void addNameArgument(CLI::App* cmd, SecretOptions& opts) {
  cmd->add_option("NAME", opts.name, "secret name")->required();
}

void addSecret(ramp::cli::Cli& cli) {
  auto opts = std::make_shared<SecretOptions>();
  auto* cmd = cli.app.add_subcommand("secret", "Manage the local secret store (values never printed)");
  cmd->footer("Examples:\n  printf %s \"$DB_PASSWORD\" | ramp secret set db-password\n  ramp secret list --json");
  cmd->require_subcommand(1);
  auto* set = cmd->add_subcommand("set", "Store a secret; the value is read from stdin");
  set->footer("Examples:\n  printf %s \"$DB_PASSWORD\" | ramp secret set db-password");
  addNameArgument(set, *opts);
  set->callback([&cli, opts] { cli.exitCode = runSet(cli, *opts); });
  auto* list = cmd->add_subcommand("list", "List secret names");
  list->footer("Examples:\n  ramp secret list\n  ramp secret list --json");
  ramp::cli::jsonFlag(list, opts->json, "JSON output");
  list->callback([&cli, opts] { cli.exitCode = runList(cli, *opts); });
  auto* rm = cmd->add_subcommand("rm", "Remove a secret");
  rm->footer("Examples:\n  ramp secret rm db-password");
  addNameArgument(rm, *opts);
  rm->callback([&cli, opts] { cli.exitCode = runRemove(cli, *opts); });
}

}  // namespace

RAMP_COMMAND(13, addSecret)
