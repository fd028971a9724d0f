// CommandRegistry.h — how `ramp` subcommands plug into the binary.
//
// Each command lives in src/cli/<Name>Command.cpp and registers a function
// that adds its CLI11 subcommand:
//
//   static void addValidate(ramp::cli::Cli& cli) {
//     auto* cmd = cli.app.add_subcommand("validate", "Check a configuration");
//     ...
//     cmd->callback([&cli] { cli.exitCode = runValidate(cli); });
//   }
//   RAMP_COMMAND(50, addValidate)
//
// The number orders `ramp --help`. Exit codes (design.md): 0 success, 1
// failure or invalid input, 2 changes present (plan), 3 rolled back, 4
// waiting on a person.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace ramp::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,
  kExitChanges = 2,
  kExitRolledBack = 3,
  kExitWaiting = 4,
};

// Options every command understands.
struct GlobalOptions {
  std::optional<std::string> home;     // --home DIR (else $RAMP_HOME ...)
  std::optional<std::string> server;   // --server URL (else $RAMP_SERVER, else the home's)
  std::optional<std::string> token;    // --token T (else $RAMP_TOKEN, else the home's)
  bool noColor = false;                // --no-color (also NO_COLOR)
};

struct Cli {
  CLI::App app{"ramp — safe, progressive deployments from a release described as code", "ramp"};
  GlobalOptions global;
  int exitCode = kExitOk;
};

using Registrar = void (*)(Cli&);

class CommandRegistry {
 public:
  static bool add(int order, Registrar registrar);
  static void registerAll(Cli& cli);
};

// Prints "ramp: error: MESSAGE" to stderr; returns kExitFailure.
int reportError(const std::string& message);

}  // namespace ramp::cli

#define RAMP_CMD_CONCAT2(a, b) a##b
#define RAMP_CMD_CONCAT(a, b) RAMP_CMD_CONCAT2(a, b)
#define RAMP_COMMAND(order, fn)                                          \
  static const bool RAMP_CMD_CONCAT(ramp_command_registered_, __LINE__) = \
      ::ramp::cli::CommandRegistry::add(order, &fn);
