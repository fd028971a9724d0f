// ClientSession.h — one client connection to an entry point (plain or
// TLS), and the exchanges on it, one at a time.
//
// Per request: parse the head strictly (HttpRequestParser; 400 and close
// on any error, nothing forwarded), pick the fleet (pin, else the deck) and
// an instance, and send the head upstream over a pooled or new connection.
// The body then streams: if it is already complete in the buffer (the
// usual small body) it goes with the head and stays buffered until the
// response starts, so the request can still be retried; otherwise what has
// arrived goes with the head and the rest is pumped client → backend with
// back-pressure (one buffer per direction, nothing accumulates), and once a
// body byte has left the buffer the request is never retried. `Expect:
// 100-continue` is answered by the router when it starts pumping. A
// response that comes before the upload ends is relayed, the upload stops
// and the connection closes after it. Responses stream back as they arrive
// (SSE and other long-lived responses included), hop-by-hop headers
// removed.
//
// Retries and fallback: an instance that cannot be connected to is
// retried on another instance of the fleet for any method (nothing was
// sent); when no instance of the chosen fleet takes the connection, the
// split's stable fleet serves the request instead (counted once as the
// chosen fleet's upstream error). A connection that fails before the first
// response byte is retried (fresh connection, next instance) only for
// idempotent methods whose body never left the buffer. At most
// kMaxAttempts tries per fleet, then 502; the backend silent too long: 504.
//
// Upgrades: a request with `Upgrade` and `Connection: upgrade` goes upstream
// with both; a 101 answer is relayed and the connection becomes a tunnel
// (bytes both ways, half-closes passed on) until either side closes, the
// tunnel is idle for tunnel_idle_timeout, or its fleet has stopped taking
// traffic for upgrade_drain_timeout. A 101 the client did not ask for is a
// 502. Any other answer is an ordinary response.
//
// Deadlines (EntrypointSettings.h), checked by the worker's tick: idle
// keep-alive (closed silently), head (408), request total and client
// stalls mid-body (408 if no response started, else closed), response
// stalls (504 before the head, else closed), connect (next instance).
// A connection idle for DataPlaneOptions::idleRelease gives its buffers and
// exchange state back: an idle connection costs the session object alone.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "router/ByteBuffer.h"
#include "router/ClientExchange.h"
#include "router/ClientStream.h"
#include "router/Entrypoint.h"

namespace ramp::router {

class Worker;

class ClientSession : public std::enable_shared_from_this<ClientSession> {
 public:
  ClientSession(Worker& worker, std::shared_ptr<Entrypoint> ep, boost::asio::ip::tcp::socket socket,
                std::shared_ptr<const EntrypointConfig> config);
  ~ClientSession();
  void start();
  // Enforces deadlines (called by the worker's tick).
  void onTick(MonoTime now);
  // Shutdown: close now when waiting for a request, else after this exchange.
  void closeIfIdle();

  static constexpr int kMaxAttempts = 4;

  // The worker's list of open sessions.
  ClientSession* prevSession = nullptr;
  ClientSession* nextSession = nullptr;

 private:
  enum class Phase : uint8_t { kHandshake, kIdle, kHead, kExchange, kTunnel, kLinger, kClosed };

  // The entry point's current limits: a change applies to open connections
  // from their next step (an open tunnel gets a new upgrade_drain_timeout).
  const EntrypointLimits& limits() const { return ep_->config->limits; }
  // Between requests.
  void awaitRequest();
  void beginRequest();
  void readHead();
  void onHead();
  void readClient(size_t atLeast, std::function<void()> then);
  void clientReadFailed(const boost::system::error_code& ec);
  // Body framing over the input: how much of what arrived belongs to the body.
  enum class Framing { kNeedMore, kDone, kError };
  Framing frameBody();
  // Upstream.
  void dispatch();
  bool pickBackend();
  bool fallBackToStable();
  void connectFresh();
  void sendRequest();
  void pumpBody();
  void sendContinueThenPump();
  void uploadFinished();
  void readResponse();
  void onResponseHead();
  void relay();
  void writeToClient(size_t n, bool done);
  void readMoreUpstream();
  // An upstream operation (connect, send, read) starts: no upstream timeout
  // has passed yet, and the deadline is `timeout` from now.
  void startUpstreamWait(Millis timeout);
  void upstreamFailed(const std::string& why, bool afterSend, bool timeout);
  void releaseUpstream(bool reusable);
  void closeUpstream();
  // After a 101.
  void startTunnel();
  void tunnelClientToUpstream();
  void tunnelUpstreamToClient();
  void tunnelSideDone();
  void checkTunnelDrain(MonoTime now);
  // Endings.
  void finishExchange(bool upstreamReusable);
  void reply(int status, const std::string& reason, const std::string& detail, bool close);
  void lingerClose();
  void account(int status, bool upstreamError);
  void closeClient();
  bool stale(uint64_t serial) const { return !x_ || x_->connSerial != serial; }

  Worker& worker_;
  std::shared_ptr<Entrypoint> ep_;
  std::shared_ptr<const EntrypointConfig> config_;  // as accepted: its TLS certificates stay for the connection's life
  ClientStream stream_;
  ByteBuffer in_;                        // bytes from the client not yet consumed
  std::unique_ptr<ClientExchange> x_;    // the exchange in progress (kept while busy)
  Phase phase_ = Phase::kHandshake;
  bool clientTimedOut_ = false;          // a client deadline passed while an operation was pending
  bool upstreamTimedOut_ = false;        // an upstream deadline passed while an operation was pending
  bool requestTimedOut_ = false;         // request_timeout passed before the request was received
  bool clientReading_ = false;           // a read from the client is pending
  MonoTime clientDeadline_{};
  MonoTime upstreamDeadline_{};
  MonoTime requestDeadline_{};
  MonoTime idleSince_{};
  uint64_t serials_ = 0;                 // source of ClientExchange::connSerial
};

}  // namespace ramp::router
