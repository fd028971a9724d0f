// AdminClient.h — a small blocking client for the router's admin API.
//
// One TCP connection per call (Connection: close), every step bounded by
// the timeout given at construction. call() maps non-2xx answers to an
// Error carrying the router's code/message/where (409 → kConflict, 400 →
// kInvalid, 404 → kNotFound, 401 → kUnauthenticated); a router that cannot
// be reached is kUnavailable.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/Clock.h"
#include "core/Result.h"

namespace ramp::router {

struct AdminReply {
  int status = 0;
  std::string body;
};

class AdminClient {
 public:
  // address "127.0.0.1:PORT"
  AdminClient(std::string address, std::string token, Millis timeout = Millis(5000));

  Result<AdminReply> request(std::string_view method, std::string_view path, std::string_view body = {}) const;
  Result<nlohmann::json> call(std::string_view method, std::string_view path,
                              const std::optional<nlohmann::json>& body = std::nullopt) const;
  const std::string& address() const { return address_; }

 private:
  std::string address_;
  std::string token_;
  Millis timeout_;
};

}  // namespace ramp::router
