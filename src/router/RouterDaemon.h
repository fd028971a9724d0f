// RouterDaemon.h — the `ramp router` process.
//
// Managed mode (runManaged): state under HOME/router/ — routes.json (the
// applied configuration, reloaded and re-bound on start), admin.token (0600,
// created if absent), admin.json ({"address":"127.0.0.1:P","pid":N},
// written once listening, removed on clean exit). The admin port is reused
// from the previous admin.json when free. It also watches the home's
// supervised controller and starts it again when it dies (ControllerWatch).
// Standalone mode (runStandalone): one entry point on --listen, one fleet
// "default" over --backend addresses, no admin API, no state; `threads` > 1
// runs that many independent io threads sharing the port (SO_REUSEPORT).
// Both: single io thread by default; SIGTERM/SIGINT stop accepting, let
// in-flight requests finish (bounded by DataPlaneOptions::shutdownGrace),
// and return 0.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace ramp::router {

class RouterDaemon {
 public:
  static int runManaged(const std::filesystem::path& home);
  static int runStandalone(const std::string& listen, const std::vector<std::string>& backends, int threads);
};

}  // namespace ramp::router
