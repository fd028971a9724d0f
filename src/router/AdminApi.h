// AdminApi.h — the router's admin API: HTTP/1.1 + JSON on 127.0.0.1,
// served on the data plane's io thread (so configuration changes need no
// lock and take effect for the very next request).
//
// Every /admin/ route needs `Authorization: Bearer <token>` (401 otherwise);
// GET /metrics (Prometheus text) and GET /healthz do not. Routes (full
// reference in docs/router.md):
//   GET    /admin/v1/ping                        {"pid":N,"started_at":..}
//   GET    /admin/v1/entrypoints                 {"entrypoints":[...]}
//   PUT    /admin/v1/entrypoints/{name}          {"port":0|N,"limits":{..},"tls":{..}|null}
//                                                 (limits/tls absent: kept; EntrypointSettings.h)
//   GET    /admin/v1/entrypoints/{name}
//   DELETE /admin/v1/entrypoints/{name}
//   PUT    /admin/v1/entrypoints/{name}/split    {"epoch":E,"fleets":[...],"pin":{...}|null,
//                                                 "stable":"fleet"|null,"lease_ms":N|null}
//   POST   /admin/v1/entrypoints/{name}/lease    {"epoch":E}   renew the split's lease
//   GET    /admin/v1/entrypoints/{name}/stats
//   GET    /admin/v1/stats
// Connections are bounded like the data plane's: each wait for a request
// (idle keep-alive, then its head and body) ends after kAdminRequestTimeout
// (10 s; the connection is closed), and at most kMaxAdminConnections are
// open (more are closed at once).
//
// Errors: {"error":{"code":"invalid","message":..,"where":"fleets[0].weight"}}
// with 400 (bad body), 404, 409 (stale epoch, port clash, lease gone), 503 (disk).
//
// The contract the controller relies on (issue #16; details in docs/router.md):
//
// * Counter epochs. Stats carry "counters_epoch" (a random id chosen when
//   the router starts) and, per fleet, "counters_epoch" = "<id>-<n>" and
//   "counters_since". Counters of one fleet only grow while its
//   counters_epoch is unchanged; when it changes they started again from
//   zero (router restart, entry point made again), so a reader takes the
//   new values as the whole delta since its previous snapshot.
// * Failures count once. "requests" = answered classes + "upstream_errors"
//   (+ requests the client abandoned or that were malformed). The router's
//   own 502/503/504 are "upstream_errors" only, never "status_5xx", so
//   status_5xx + upstream_errors is the fleet's error count.
// * Fallback. With "stable" set, a request whose chosen fleet has no
//   instance accepting a connection (nothing was sent) is served by the
//   stable fleet; the chosen fleet counts it in requests, upstream_errors
//   and "fallbacks"; the stable fleet counts it as its own request.
// * Lease. With "lease_ms" (needs "stable"), the split holds for lease_ms
//   after the PUT, after the same split is PUT again, or after POST
//   .../lease; GET .../entrypoints/{name} shows "lease":{"state":"held",
//   "expires_at_ms","remaining_ms",..}. Without renewal the router applies
//   stable=100, others 0, no pin, and shows {"state":"expired",
//   "expired_at_ms","before":<the held split>} until the next PUT of a
//   different split; /metrics has ramp_router_lease_expired{entrypoint} 1;
//   the log says so. Renewing an expired lease is 409 (where "lease"): the
//   controller decides (PUT the held split again to resume, or roll back).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "core/Result.h"
#include "router/RouteState.h"

namespace ramp::router {

struct AdminResponse {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
};

inline constexpr auto kAdminRequestTimeout = std::chrono::seconds(10);
inline constexpr size_t kMaxAdminConnections = 256;

class AdminApi {
 public:
  AdminApi(boost::asio::io_context& io, RouteState& state, std::string token);
  // Listens on 127.0.0.1:port (0 = any); returns the port.
  Result<int> listen(int port);
  void close();
  // One request → one response (exposed for tests).
  AdminResponse handle(std::string_view method, std::string_view target, std::string_view authorization,
                       std::string_view body);

 private:
  void accept();
  friend class AdminSession;
  boost::asio::io_context& io_;
  size_t sessions_ = 0;  // open admin connections
  RouteState& state_;
  std::string token_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace ramp::router
