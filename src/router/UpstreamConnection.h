// UpstreamConnection.h — one TCP connection from the router to a backend
// instance; idle ones wait in their Backend's pool.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "core/Clock.h"

namespace ramp::router {

struct UpstreamConnection {
  explicit UpstreamConnection(boost::asio::any_io_executor ex) : socket(ex) {}
  boost::asio::ip::tcp::socket socket;
  MonoTime lastUsed{};
  uint64_t requestsServed = 0;
};

}  // namespace ramp::router
