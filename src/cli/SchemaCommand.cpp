// SchemaCommand.cpp — `ramp schema`: the JSON Schema of ramp.yaml on stdout
// (Schema.h), for editors such as VS Code's YAML extension. `--json` is
// accepted (the output is JSON with or without it), as on every read command.
#include <iostream>
#include <memory>

#include "cli/CommandRegistry.h"
#include "config/Schema.h"

namespace {

void addSchema(ramp::cli::Cli& cli) {
  auto* cmd = cli.app.add_subcommand("schema", "Print the JSON Schema of ramp.yaml (for editors)");
  cmd->footer("Examples:\n  ramp schema > ramp.schema.json");
  // The schema is JSON either way; --json is accepted like on every read command.
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Machine-readable output (the schema is always JSON)");
  cmd->callback([&cli, json] {
    std::cout << ramp::config::configSchema().dump(2) << "\n";
    cli.exitCode = ramp::cli::kExitOk;
  });
}

}  // namespace

RAMP_COMMAND(12, addSchema)
