// HealthProbe.h — one HTTP health check of one instance.
//
// GET http://127.0.0.1:PORT<path> with a total timeout (libcurl easy
// handle, no proxy, no signals). Healthy means a response with status
// 200..399; anything else (refused, timeout, 5xx) is an error that says what
// happened, e.g. "GET http://127.0.0.1:4100/healthz: status 503".
// Thread-safe: each call uses its own handle.
#pragma once

#include <chrono>
#include <string>

#include "core/Result.h"

namespace ramp::providers {

class HealthProbe {
 public:
  static Status check(int port, const std::string& path, std::chrono::milliseconds timeout);
};

}  // namespace ramp::providers
