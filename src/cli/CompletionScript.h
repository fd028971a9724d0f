// CompletionScript.h — bash and zsh completion scripts for `ramp`,
// generated at run time from the CLI11 command tree (every registered
// command, subcommand and option), so they never drift from the binary.
//
// Contract:
//   - bash(app) / zsh(app): a script defining the function `_ramp` and
//     registering it for the command `ramp` (bash: `complete -F`; zsh:
//     `compdef`, or run directly when autoloaded from $fpath as `_ramp`).
//   - It completes command and subcommand names, the options of the command
//     typed so far (plus the global ones), the choices of options checked
//     by CLI11::IsMember, file names for file options, and, by calling
//     `ramp completion --list envs|services [-f FILE]` (the binary in the
//     command line), environment names for --env/--to and service names for
//     a `service` argument or --service, read from ./ramp.yaml (or -f).
//   - commandPaths(app): every command path ("release create", ...), one per
//     entry, hidden ones included, in help order; tests use it to check that
//     each command has help examples and, if it reads, --json.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace ramp::cli {

class CompletionScript {
 public:
  static std::string bash(const CLI::App& app);
  static std::string zsh(const CLI::App& app);
  static std::vector<std::string> commandPaths(const CLI::App& app);
};

}  // namespace ramp::cli
