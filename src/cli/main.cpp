// main.cpp — the `ramp` binary: CLI, controller (`ramp serve`) and router
// (`ramp router`) in one executable, each run as its own process.
#include <cstdlib>
#include <iostream>

#include "cli/CommandRegistry.h"
#include "cli/HelpLayout.h"
#include "cli/Terminal.h"

int main(int argc, char** argv) {
  ramp::cli::Cli cli;
  auto& app = cli.app;
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("--version", std::string("ramp ") + RAMP_VERSION);
  app.add_option("--home", cli.global.home, "State directory of this ramp world (default $RAMP_HOME)")
      ->envname("RAMP_HOME");
  app.add_option("--server", cli.global.server, "Controller URL (default: the one recorded in the home)")
      ->envname("RAMP_SERVER");
  app.add_option("--token", cli.global.token, "API token (default $RAMP_TOKEN, then the home's admin token)")
      ->envname("RAMP_TOKEN");
  // Read by ApiClient from $RAMP_CA_CERT (the flag sets it for this process).
  app.add_option_function<std::string>(
      "--ca-cert", [](const std::string& file) { setenv("RAMP_CA_CERT", file.c_str(), 1); },
      "PEM file of the CA that signed an https:// controller's certificate (default $RAMP_CA_CERT)");
  // Colour: one decision for every command (Terminal.h). The callbacks run
  // while parsing, before the chosen command's callback.
  using ramp::cli::Terminal;
  app.add_option_function<std::string>(
         "--color",
         [](const std::string& m) { Terminal::setMode(Terminal::parseMode(m).value_or(Terminal::Mode::kAuto)); },
         "auto (default: only on a terminal, not with NO_COLOR or TERM=dumb), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  app.add_flag_callback(
      "--no-color",
      [&cli] {
        cli.global.noColor = true;
        Terminal::setMode(Terminal::Mode::kNever);
      },
      "The same as --color=never");
  ramp::cli::CommandRegistry::registerAll(cli);
  ramp::cli::HelpLayout::apply(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "ramp: error: " << e.what() << "\n";
    std::cerr << "Run 'ramp --help' for usage.\n";
    return ramp::cli::kExitFailure;
  }
  return cli.exitCode;
}
