// CompletionCommand.cpp — `ramp completion bash|zsh`: prints a completion
// script generated from this binary's commands (CompletionScript.h).
// `ramp completion --list envs|services|commands [-f FILE]` prints one name
// a line: what the scripts call for dynamic values (environment and service
// names from ./ramp.yaml or FILE; nothing, and exit 0, when there is no
// valid configuration), and every command path for tests and tools.
#include <iostream>

#include "cli/CommandRegistry.h"
#include "cli/CompletionScript.h"
#include "cli/Options.h"
#include "config/ConfigLoader.h"

namespace ramp::cli {

namespace {

struct CompletionArgs {
  std::string shell;
  std::string list;
  std::optional<std::string> file;
};

int runCompletion(Cli& cli, const CompletionArgs& a) {
  if (!a.list.empty()) {
    if (!a.shell.empty()) return reportError("give a shell or --list, not both");
    if (a.list == "commands") {
      for (const auto& p : CompletionScript::commandPaths(cli.app)) std::cout << p << "\n";
      return kExitOk;
    }
    // Completion must stay quiet: no configuration means no names.
    auto r = config::loadConfigPath(config::configPathFor(a.file));
    if (!r.ok()) return kExitOk;
    for (const auto& n : a.list == "envs" ? r.config->environmentNames() : r.config->serviceNames()) {
      std::cout << n << "\n";
    }
    return kExitOk;
  }
  if (a.shell == "bash") {
    std::cout << CompletionScript::bash(cli.app);
  } else if (a.shell == "zsh") {
    std::cout << CompletionScript::zsh(cli.app);
  } else {
    return reportError("completion: give the shell: ramp completion bash | ramp completion zsh");
  }
  return kExitOk;
}

void addCompletion(Cli& cli) {
  auto [cmd, args] = addCommand<CompletionArgs>(
      cli, cli.app, "completion", "Print a shell completion script (bash or zsh)",
      "Examples:\n"
      "  source <(ramp completion bash)\n"
      "  ramp completion bash > ~/.local/share/bash-completion/completions/ramp\n"
      "  source <(ramp completion zsh)        # in ~/.zshrc, after compinit",
      runCompletion);
  cmd->add_option("shell", args->shell, "bash or zsh")->check(CLI::IsMember({"bash", "zsh"}));
  cmd->add_option("--list", args->list, "Print names instead: envs, services (from the config) or commands")
      ->check(CLI::IsMember({"envs", "services", "commands"}));
  addOption(cmd, kConfigFileOption, args->file, "Configuration for --list envs|services (default ./ramp.yaml)");
}

}  // namespace

RAMP_COMMAND(92, addCompletion)

}  // namespace ramp::cli
