// RouterCommand.cpp — `ramp router`: the data-plane process.
//
//   ramp router [--home DIR] [--threads N] [--accept single|reuseport]   managed: state in DIR/router/
//   ramp router --listen ADDR --backend ADDR... [--threads N] [--accept M]
//               [--tls-cert FILE --tls-key FILE]                          standalone (benchmarks)
#include <string>
#include <vector>

#include "cli/CommandRegistry.h"
#include "core/Home.h"
#include "router/RouterDaemon.h"

namespace {

struct RouterArgs {
  std::string listen;
  std::vector<std::string> backends;
  ramp::router::RouterRunOptions run;
};

void addRouter(ramp::cli::Cli& cli) {
  static RouterArgs args;
  auto* cmd = cli.app.add_subcommand("router", "Run the data plane (HTTP router) of this ramp world");
  cmd->footer("Examples:\n  ramp router\n  ramp router --listen 127.0.0.1:8080 --backend 127.0.0.1:9001 --backend 127.0.0.1:9002");
  cmd->add_option("--listen", args.listen, "Standalone mode: HOST:PORT to accept requests on");
  cmd->add_option("--backend", args.backends, "Standalone mode: backend HOST:PORT (repeatable)");
  cmd->add_option("--threads", args.run.threads, "io threads serving traffic (default: the machine's cores)");
  cmd->add_option("--accept", args.run.accept,
                  "single: one listening socket, handing connections round robin to the io threads (default); reuseport: one per io thread");
  cmd->add_option("--tls-cert", args.run.tlsCert, "Standalone mode: PEM certificate chain (HTTPS)");
  cmd->add_option("--tls-key", args.run.tlsKey, "Standalone mode: PEM private key (HTTPS)");
  cmd->callback([&cli] {
    if (!args.listen.empty() || !args.backends.empty()) {
      if (args.listen.empty()) {
        cli.exitCode = ramp::cli::reportError("--listen is required with --backend");
        return;
      }
      if (args.backends.empty()) {
        cli.exitCode = ramp::cli::reportError("--backend is required with --listen");
        return;
      }
      cli.exitCode = ramp::router::RouterDaemon::runStandalone(args.listen, args.backends, args.run);
      return;
    }
    auto home = ramp::resolveHome(cli.global.home);
    if (auto st = ramp::ensureHome(home); !st) {
      cli.exitCode = ramp::cli::reportError(st.error().describe());
      return;
    }
    cli.exitCode = ramp::router::RouterDaemon::runManaged(home, args.run);
  });
}

}  // namespace

RAMP_COMMAND(90, addRouter)
