// RouterDaemon.h — the `ramp router` process.
//
// Managed mode (runManaged): state under HOME/router/ — routes.json (the
// applied configuration, reloaded and re-bound on start), admin.token (0600,
// created if absent), admin.json ({"address":"127.0.0.1:P","pid":N},
// written once listening, removed on clean exit). The admin port is reused
// from the previous admin.json when free. It also watches the home's
// supervised controller and starts it again when it dies (ControllerWatch).
// Standalone mode (runStandalone): one entry point on --listen, one fleet
// "default" over --backend addresses, optional TLS (--tls-cert/--tls-key),
// no admin API, no state (benchmarks).
// Both: `threads` io threads serving traffic (default: the machine's cores)
// plus the main thread for the admin API and configuration; the soft
// open-files limit is raised to the hard one; SIGTERM/SIGINT stop
// accepting, let in-flight requests finish (bounded by
// DataPlaneOptions::shutdownGrace), and return 0; SIGHUP reloads TLS
// certificates.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace ramp::router {

struct RouterRunOptions {
  int threads = 0;                 // 0: the machine's cores
  std::string accept = "single";  // "single" | "reuseport" (DataPlane.h)
  std::string tlsCert;             // standalone only
  std::string tlsKey;
};

class RouterDaemon {
 public:
  static int runManaged(const std::filesystem::path& home, const RouterRunOptions& options = {});
  static int runStandalone(const std::string& listen, const std::vector<std::string>& backends,
                           const RouterRunOptions& options = {});
};

}  // namespace ramp::router
