// UpstreamConnection.h — one TCP connection from the router to a backend
// instance; idle ones wait in their Backend's pool.
#pragma once

#include "core/Clock.h"
#include "router/Socket.h"

namespace ramp::router {

struct UpstreamConnection {
  explicit UpstreamConnection(boost::asio::io_context::executor_type ex) : socket(ex) {}
  Socket socket;
  MonoTime lastUsed{};
  uint64_t requestsServed = 0;
};

}  // namespace ramp::router
