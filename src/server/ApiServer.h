// ApiServer.h — the controller's versioned HTTP JSON API (/api/v1/...).
//
// Every CLI command goes through it. It listens on loopback by default
// (port 0 = any free port; the chosen address is reported by start()), and
// serves HTTPS instead of HTTP when start() is given a certificate and key.
// Every route is registered with an Access (server/Access.h) saying which
// role it needs in which environment; ApiServer authenticates the caller
// (`Authorization: Bearer <token>`; stream routes also accept
// `?access_token=<token>`, as a browser's EventSource cannot send headers),
// then checks the Access, and only then runs the handler: 401 for a missing
// or refused token, 403 naming the role and environment for a denied call.
// Only Access::open() routes (health, publicRoute()s) need no token.
// Bodies are JSON objects of at most 1 MiB nested at most 64 deep (checked
// before parsing); a malformed body, a wrong type or an unknown field is a
// 400 naming the field, and changes nothing. An HTTP/1.1 request without
// Host is a 400 ("Host").
// Connections are served asynchronously (Boost.Beast) by 2 I/O threads,
// each request with a deadline (10 s to arrive, 10 s to be written; an idle
// keep-alive connection is closed after 10 s), at most 10,000 connections
// (more: 503 and closed); handlers run on a pool of 16 threads, so a slow
// or hostile client holds a socket, never a thread. /api/v1/events/stream
// (server-sent events of the audit log) runs on a thread of its own, at most
// 64 at once (more: 503). docs/controller.md "Limits and timeouts" lists
// every limit.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/Result.h"
#include "server/Access.h"
#include "server/Principal.h"

namespace ramp::server {

struct ApiRequest {
  std::string method;
  std::string path;                            // without the query string
  std::map<std::string, std::string> query;
  std::vector<std::string> params;             // captured {x} path segments
  nlohmann::json body;                         // parsed JSON object, or null
  std::string actor;                           // who the token belongs to (= principal.user)
  Principal principal;                         // the caller and their roles
  std::string token;                           // the bearer token (to forward the request)
  std::string target;                          // path and query as received
};

struct ApiResponse {
  int status = 200;
  nlohmann::json body = nlohmann::json::object();
  // When contentType is set, the answer is `text` with that Content-Type
  // instead of `body` as JSON (Prometheus /metrics, dashboard assets).
  std::string contentType{};
  std::string text{};
};

// A stream handler writes chunks until it returns false or the client leaves.
using StreamWriter = std::function<bool(const std::string& chunk)>;

class ApiServer {
 public:
  using Handler = std::function<Result<ApiResponse>(const ApiRequest&)>;
  using StreamHandler = std::function<void(const ApiRequest&, const StreamWriter&,
                                           const std::atomic<bool>& stopping)>;
  // Maps a bearer token to the principal it belongs to, or an error.
  using Authenticator = std::function<Result<Principal>(const std::string& token)>;

  explicit ApiServer(Authenticator auth);
  ~ApiServer();

  // Pattern segments in braces capture: "/api/v1/deployments/{id}".
  // `access` is checked before `h` runs (server/Access.h).
  void route(const std::string& method, const std::string& pattern, Access access, Handler h);
  void stream(const std::string& pattern, Access access, StreamHandler h);
  // A route served without a token: only for content that reveals nothing
  // (the dashboard's static assets). Same as route(..., Access::open(), h).
  void publicRoute(const std::string& method, const std::string& pattern, Handler h);
  // Every registered route: method, pattern, access summary (for docs/tests).
  std::vector<std::array<std::string, 3>> routes() const;

  // PEM files for HTTPS. Both empty = plain HTTP.
  struct Tls {
    std::string certFile;
    std::string keyFile;
  };
  // Binds and starts serving; returns "host:port". With tls, every
  // connection must complete a TLS handshake first (a plain-HTTP request is
  // dropped); a certificate or key that cannot be loaded is kInvalid naming
  // the file (--tls-cert / --tls-key).
  Result<std::string> start(const std::string& host, int port, const Tls& tls = {});
  // The checks start() makes on tls, without listening (to fail fast).
  static Status checkTls(const Tls& tls);
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Helpers for handlers: typed field access that names the field on error.
Result<std::string> requireString(const nlohmann::json& body, const std::string& field);
Result<std::optional<std::string>> optionalString(const nlohmann::json& body, const std::string& field);
// Several required strings at once, read in order: the first field that is
// missing or not a string is the error, as requireString says it.
//   auto ids = requireStrings(r.body, {"service", "env"});
template <size_t N>
Result<std::array<std::string, N>> requireStrings(const nlohmann::json& body, const char* const (&fields)[N]) {
  std::array<std::string, N> values;
  for (size_t i = 0; i < N; ++i) {
    auto v = requireString(body, fields[i]);
    if (!v) return std::unexpected(v.error());
    values[i] = std::move(*v);
  }
  return values;
}
// Refuses any field not in `allowed`.
Status onlyFields(const nlohmann::json& body, const std::vector<std::string>& allowed);
// A query parameter that must be a whole decimal number in [lo, hi]
// ("5abc", "", "1e3" are 400 naming it); `fallback` when absent.
Result<int64_t> queryNumber(const ApiRequest& r, const std::string& name, int64_t lo, int64_t hi, int64_t fallback);

}  // namespace ramp::server
