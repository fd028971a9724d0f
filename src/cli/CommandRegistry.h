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

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
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

// A (sub)command whose options fill one Args: `app` to declare them on,
// `args` to bind them to.
template <class Args>
struct Command {
  CLI::App* app;
  std::shared_ptr<Args> args;
};

// Adds NAME (HELP; EXAMPLES is its footer) under PARENT, with a fresh Args;
// when it is chosen, cli.exitCode = run(cli, args), or run(args) for a
// command that needs nothing of the Cli. The one way a command's arguments
// reach its run function.
template <class Args, class Run>
Command<Args> addCommand(Cli& cli, CLI::App& parent, const std::string& name, const std::string& help,
                         const std::string& examples, Run run) {
  auto args = std::make_shared<Args>();
  auto* app = parent.add_subcommand(name, help);
  app->footer(examples);
  app->callback([&cli, args, run] {
    if constexpr (std::is_invocable_v<Run, const Args&>) {
      cli.exitCode = run(*args);
    } else {
      cli.exitCode = run(cli, *args);
    }
  });
  return {app, args};
}

}  // namespace ramp::cli

#define RAMP_CMD_CONCAT2(a, b) a##b
#define RAMP_CMD_CONCAT(a, b) RAMP_CMD_CONCAT2(a, b)
#define RAMP_COMMAND(order, fn)                                          \
  static const bool RAMP_CMD_CONCAT(ramp_command_registered_, __LINE__) = \
      ::ramp::cli::CommandRegistry::add(order, &fn);
