// AdminApi.h — the router's admin API: HTTP/1.1 + JSON on 127.0.0.1,
// served on the data plane's io thread (so configuration changes need no
// lock and take effect for the very next request).
//
// Every /admin/ route needs `Authorization: Bearer <token>` (401 otherwise);
// GET /metrics (Prometheus text) and GET /healthz do not. Routes (full
// reference in docs/router.md):
//   GET    /admin/v1/ping                        {"pid":N,"started_at":..}
//   GET    /admin/v1/entrypoints                 {"entrypoints":[...]}
//   PUT    /admin/v1/entrypoints/{name}          {"port":0|N}
//   GET    /admin/v1/entrypoints/{name}
//   DELETE /admin/v1/entrypoints/{name}
//   PUT    /admin/v1/entrypoints/{name}/split    {"epoch":E,"fleets":[...],"pin":{...}|null}
//   GET    /admin/v1/entrypoints/{name}/stats
//   GET    /admin/v1/stats
// Errors: {"error":{"code":"invalid","message":..,"where":"fleets[0].weight"}}
// with 400 (bad body), 404, 409 (stale epoch, port clash), 503 (disk).
#pragma once

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
  boost::asio::io_context& io_;
  RouteState& state_;
  std::string token_;
  boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace ramp::router
