// Backend.h — one backend instance address ("127.0.0.1:5001") and its pool
// of idle keep-alive connections.
//
// Shared by every split that lists the address. takeIdle() hands out the
// most recently used idle connection. For a request that cannot be retried
// (non-idempotent, or its body streams) it first checks with a non-blocking
// peek that the backend has not closed it (or sent something unsolicited).
// A retriable request (idempotent, body buffered) skips that system call on
// a connection idle less than a short bound (DataPlaneOptions::peekAfterIdle,
// 250 ms: a hot connection): a pooled connection that then fails before any
// byte of the answer is handled like a refused connect
// (ClientSession::upstreamFailed: a fresh connection, the next instance,
// else the stable fleet — FailsafeE2E). A connection idle longer is peeked
// for it too: bytes a backend wrote unasked on an idle connection (a
// "408 Request Timeout" sent at its idle timeout, before it closes) must
// never be read as the next request's answer. Connections idle
// longer than the pool's limit are closed by the router itself, so the router
// never races a backend's keep-alive timeout. A backend that refused a
// connection is "down" for a short while and skipped when another instance
// is available.
// io thread only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

#include "core/Clock.h"
#include "core/Result.h"
#include "router/UpstreamConnection.h"

namespace ramp::router {

class Backend {
 public:
  Backend(std::string address, boost::asio::ip::tcp::endpoint endpoint)
      : address_(std::move(address)), endpoint_(endpoint) {}

  // "127.0.0.1:5001" / "localhost:5001" → endpoint (RouteTable validated the form).
  static Result<boost::asio::ip::tcp::endpoint> parseAddress(const std::string& address);

  const std::string& address() const { return address_; }
  const boost::asio::ip::tcp::endpoint& endpoint() const { return endpoint_; }

  // An idle connection, or null. maxIdle: only hand out connections used
  // within this long (non-idempotent requests ask for recently proven ones).
  // A connection idle at least peekAfter is first peeked (non-blocking): data
  // or EOF waiting on it → closed, the next one is tried. Millis::zero():
  // always peek.
  std::unique_ptr<UpstreamConnection> takeIdle(MonoTime now, Millis maxIdle, Millis peekAfter);
  // Returns a connection to the pool (or closes it when the pool is full or
  // the backend no longer takes traffic).
  void putIdle(std::unique_ptr<UpstreamConnection> c, MonoTime now);
  void closeIdle();
  void closeIdleOlderThan(MonoTime now, Millis maxIdle);
  size_t idleCount() const { return idle_.size(); }

  bool isDown(MonoTime now) const { return now < downUntil_; }
  void markDown(MonoTime now, Millis d) { downUntil_ = now + d; }
  void markUp() { downUntil_ = MonoTime{}; }

  // Whether any current split routes new requests here (maintained by DataPlane).
  bool active = true;
  size_t maxIdle = 256;

 private:
  std::string address_;
  boost::asio::ip::tcp::endpoint endpoint_;
  std::vector<std::unique_ptr<UpstreamConnection>> idle_;
  MonoTime downUntil_{};
};

}  // namespace ramp::router
