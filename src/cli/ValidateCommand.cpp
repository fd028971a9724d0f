// ValidateCommand.cpp — `ramp validate [-f PATH | PATH] [--json]`.
//
// Exit 0 when the configuration is valid (a one-line summary on stdout).
// Otherwise exit 1 with every problem on stderr, one per line:
// `FILE:LINE:COL: error: MESSAGE`. --json prints {"valid", "errors": [{file,
// line, col, message}]} on stdout instead (same exit codes).
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/CommandRegistry.h"
#include "cli/Options.h"
#include "cli/Terminal.h"
#include "config/ConfigLoader.h"

namespace {

struct ValidateOptions {
  std::optional<std::string> file;
  std::optional<std::string> positional;
  bool json = false;
};

int runValidate(const ValidateOptions& o) {
  if (o.file && o.positional && *o.file != *o.positional) {
    return ramp::cli::reportError("give the configuration either with -f or as a path, not both");
  }
  auto path = ramp::config::configPathFor(o.file ? o.file : o.positional);
  auto r = ramp::config::loadConfigPath(path);
  if (o.json) {
    nlohmann::json errors = nlohmann::json::array();
    for (const auto& d : r.diagnostics) {
      errors.push_back({{"file", d.file}, {"line", d.line}, {"col", d.col}, {"message", d.message}});
    }
    nlohmann::json out{{"valid", r.ok()}, {"path", path.string()}, {"errors", errors}};
    if (r.ok()) {
      out["project"] = r.config->project;
      out["environments"] = r.config->environmentNames();
      out["services"] = r.config->serviceNames();
    }
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return r.ok() ? ramp::cli::kExitOk : ramp::cli::kExitFailure;
  }
  if (!r.ok()) {
    using ramp::cli::Terminal;
    for (const auto& d : r.diagnostics) {
      // "FILE:LINE:COL: error: MESSAGE", the word "error" in red on a terminal.
      std::string line = d.format();
      auto at = line.find(": error: ");
      if (at != std::string::npos && Terminal::colourOn(2)) {
        line = line.substr(0, at + 2) + Terminal::paint(2, Terminal::Style::kRed, "error") + line.substr(at + 7);
      }
      std::cerr << line << "\n";
    }
    std::cerr << r.diagnostics.size() << (r.diagnostics.size() == 1 ? " error" : " errors") << "\n";
    return ramp::cli::kExitFailure;
  }
  const auto& c = *r.config;
  std::cout << path.string() << ": " << ramp::cli::Terminal::paint(1, ramp::cli::Terminal::Style::kGreen, "ok")
            << ": project " << c.project << ", " << c.environments.size()
            << " environment(s), " << c.services.size() << " service(s)\n";
  return ramp::cli::kExitOk;
}

void addValidate(ramp::cli::Cli& cli) {
  using namespace ramp::cli;  // the shared options (Options.h)
  auto [cmd, opts] = addCommand<ValidateOptions>(
      cli, cli.app, "validate", "Check a configuration: every problem as FILE:LINE:COL",
      "Examples:\n  ramp validate\n  ramp validate -f config/ --json",
      runValidate);
  addOption(cmd, kConfigTreeOption, opts->file);
  cmd->add_option("path", opts->positional, "the same as -f");
  jsonFlag(cmd, opts->json, "machine-readable result");
}

}  // namespace

RAMP_COMMAND(10, addValidate)
