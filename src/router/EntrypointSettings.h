// EntrypointSettings.h — how one entry point treats its clients: timeouts,
// limits and TLS (issue #18). Part of the router's configuration
// (routes.json, admin PUT /admin/v1/entrypoints/{name}); every key has a
// default, so an entry point made without settings is already bounded.
//
// JSON (admin API and routes.json; absent keys take their defaults):
//   "limits": {"head_timeout_ms":10000,"idle_timeout_ms":60000,
//              "client_timeout_ms":60000,"request_timeout_ms":300000,
//              "response_timeout_ms":60000,"connect_timeout_ms":3000,
//              "tunnel_idle_timeout_ms":3600000,"upgrade_drain_timeout_ms":300000,
//              "max_connections":100000,"max_request_body":0}
//   "tls": {"certificates":[{"cert_file":"/abs/cert.pem","key_file":"/abs/key.pem"},...]} | null
//
// Meaning (docs/router.md "Timeouts and limits"):
//   head_timeout      first byte of a request (or TLS handshake start) → end of its head
//   idle_timeout      keep-alive wait for the next request's first byte
//   client_timeout    longest a client may stall mid-exchange (body bytes,
//                     accepting response bytes)
//   request_timeout   first byte → last byte of the request (head + body); 0 = none
//   response_timeout  longest a backend may stall (taking the request,
//                     first response byte, between response bytes)
//   connect_timeout   connecting to one instance
//   tunnel_idle_timeout  an upgraded connection with no byte either way; 0 = none
//   upgrade_drain_timeout  upgraded connections of a fleet that no longer
//                     takes traffic are closed this long after; 0 = never
//   max_connections   open client connections; beyond, new ones get 503 and close
//   max_request_body  bytes; 0 = no cap (bodies stream)
// TLS: the first certificate is the default; others are chosen by SNI
// against their DNS names (TlsCertificates.h). Files must be absolute paths.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/Clock.h"
#include "core/Result.h"

namespace ramp::router {

struct EntrypointLimits {
  Millis headTimeout{10000};
  Millis idleTimeout{60000};
  Millis clientTimeout{60000};
  Millis requestTimeout{300000};
  Millis responseTimeout{60000};
  Millis connectTimeout{3000};
  Millis tunnelIdleTimeout{3600000};
  Millis upgradeDrainTimeout{300000};
  uint64_t maxConnections = 100000;
  uint64_t maxRequestBody = 0;
  bool operator==(const EntrypointLimits&) const = default;
};

struct TlsCertificateFiles {
  std::string certFile;
  std::string keyFile;
  bool operator==(const TlsCertificateFiles&) const = default;
};

struct TlsSettings {
  std::vector<TlsCertificateFiles> certificates;  // at least one; the first is the default
  bool operator==(const TlsSettings&) const = default;
};

struct EntrypointSettings {
  EntrypointLimits limits;
  std::optional<TlsSettings> tls;
  bool operator==(const EntrypointSettings&) const = default;

  // `where` prefixes field names in errors ("limits.head_timeout_ms").
  static Result<EntrypointLimits> parseLimits(const nlohmann::json& j, const std::string& where);
  static Result<std::optional<TlsSettings>> parseTls(const nlohmann::json& j, const std::string& where);
  static nlohmann::json limitsToJson(const EntrypointLimits& l);
  static nlohmann::json tlsToJson(const std::optional<TlsSettings>& t);
};

}  // namespace ramp::router
