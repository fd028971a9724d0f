// SchemaCommand.cpp — `ramp schema`: the JSON Schema of ramp.yaml on stdout
// (Schema.h), for editors such as VS Code's YAML extension.
#include <iostream>

#include "cli/CommandRegistry.h"
#include "config/Schema.h"

namespace {

void addSchema(ramp::cli::Cli& cli) {
  auto* cmd = cli.app.add_subcommand("schema", "Print the JSON Schema of ramp.yaml (for editors)");
  cmd->callback([&cli] {
    std::cout << ramp::config::configSchema().dump(2) << "\n";
    cli.exitCode = ramp::cli::kExitOk;
  });
}

}  // namespace

RAMP_COMMAND(12, addSchema)
