// InstanceShimCommand.cpp — `ramp instance-shim --dir DIR [--ready-fd N]`.
//
// Hidden: started only by the local fleet provider, one per instance (see
// providers/local/InstanceShim.h for what it does). Exit code 0 once the
// instance ran (whatever its own exit code), 1 when it could not be started.
#include "cli/CommandRegistry.h"
#include "providers/local/InstanceShim.h"

namespace {

void addInstanceShim(ramp::cli::Cli& cli) {
  auto* cmd = cli.app.add_subcommand("instance-shim", "Supervise one fleet instance (internal)");
  cmd->footer("Examples:\n  ramp instance-shim --dir $RAMP_HOME/instances/i-1   (started by the local provider, not by people)");
  cmd->group("");
  static std::string dir;
  static int readyFd = -1;
  cmd->add_option("--dir", dir, "The instance's directory (holds launch.json)")->required();
  cmd->add_option("--ready-fd", readyFd, "File descriptor to report the start on");
  cmd->callback([&cli] {
    ramp::providers::InstanceShim shim(dir);
    cli.exitCode = shim.run(readyFd);
  });
}

}  // namespace

RAMP_COMMAND(900, addInstanceShim)
