// HelpLayout.h — how `ramp --help` is laid out, applied once every command
// has registered (CommandRegistry::registerAll).
//
// Contract:
//   - Each top-level command is put in a help group (Configuration,
//     Releases, Deploying, Observing, Infrastructure, Access, Running ramp);
//     a command this file does not know stays in "Other commands", so a new
//     command still shows up. Internal commands (instance-shim) are hidden.
//   - The top-level footer lists examples and ramp's exit codes (the truth
//     of what the commands return; see docs/cli.md).
//   - A command that registered no footer of its own gets the examples kept
//     here for commands whose files live outside src/cli's owner (deploy,
//     promote, demo); every other command writes its own "Examples:" footer
//     next to its options.
// Must run after registerAll: CLI11 copies a parent's footer into each
// subcommand created after it is set.
#pragma once

#include <CLI/CLI.hpp>

namespace ramp::cli {

class HelpLayout {
 public:
  static void apply(CLI::App& app);
  // The exit-code table printed in `ramp --help`.
  static const char* exitCodes();
};

}  // namespace ramp::cli
