// RouterProcess.h — start and stop a world's `ramp router` process.
//
// ensureRouterRunning() is idempotent and safe from many processes at once
// (an flock on HOME/router/router.lock serialises them): when admin.json
// names a live pid whose admin API answers with the token, it returns that
// router; otherwise it spawns `RAMPBIN router --home HOME` detached (double
// fork + setsid, stdin /dev/null, stdout/stderr appended to
// HOME/router/router.log, environment inherited) and waits until the new
// router answers. stopRouter() sends SIGTERM, waits up to `timeout`, then
// SIGKILL; stopping a world without a router is OK.
#pragma once

#include <filesystem>
#include <string>

#include "core/Clock.h"
#include "core/Result.h"

namespace ramp::router {

struct RouterEndpoint {
  std::string adminAddress;  // "127.0.0.1:PORT"
  std::string token;
  int64_t pid = 0;
};

Result<RouterEndpoint> ensureRouterRunning(const std::filesystem::path& home, const std::filesystem::path& rampBinary,
                                           Millis timeout);
Status stopRouter(const std::filesystem::path& home, Millis timeout);
// The recorded router if it is alive and answering (no spawning).
Result<RouterEndpoint> findRouter(const std::filesystem::path& home, Millis timeout);

}  // namespace ramp::router
