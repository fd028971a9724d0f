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
// idempotent methods whose body never left the buffer; when that connection
// came from the pool (the backend had closed it: those requests skip the
// pool's peek on a connection idle < 250 ms), it is handled like a refused
// connect, down to the stable fleet when the fleet has no instance left to
// try. At most
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
// Between requests a connection gives its exchange state and input buffer
// back to its worker's pools at once (the next request, or a new
// connection, takes them from there, warm). A new connection that has sent
// nothing yet, and a connection idle for DataPlaneOptions::idleRelease,
// wait "parked": the descriptor out of Asio's reactor, in the worker's park
// set (Worker.h), so an idle connection costs the session object alone
// (184 bytes) — no reactor entry, no pending operation.
//
// A plain connection whose request came with it (or that woke from the
// park set) stays a bare descriptor (not registered with the reactor) until
// it has to wait: client() attaches it then, and writeClient() sends with
// one sendmsg while it is bare. A plain keep-alive connection just answered
// waits with its input buffer (readIdle; bounded with the worker's buffer
// pool, Worker::takeIdleReader), so that no epoll_ctl is made per request.
//
// Closing: a client that asked to close (Connection: close, or HTTP/1.0
// without keep-alive), whose request was read whole and that has sent
// nothing more, is closed at once after its answer; every other close
// lingers (shut down sending, read and drop for up to 1 s) so the client
// reads the answer instead of a reset.
//
// Sessions are reference counted by their pending handlers (intrusive,
// not atomic: a session lives on its worker's thread only).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/smart_ptr/intrusive_ptr.hpp>

#include "router/ByteBuffer.h"
#include "router/ClientExchange.h"
#include "router/ClientStream.h"
#include "router/Entrypoint.h"

namespace ramp::router {

class Worker;

class ClientSession {
 public:
  using Ref = boost::intrusive_ptr<ClientSession>;
  // `fd`: the accepted connection (owned from now on; non-blocking).
  ClientSession(Worker& worker, std::shared_ptr<Entrypoint> ep, int fd,
                const std::shared_ptr<const EntrypointConfig>& config);
  ~ClientSession();
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;
  void start();
  // Enforces deadlines (called by the worker's tick).
  void onTick(MonoTime now);
  // Shutdown: close now when waiting for a request, else after this exchange.
  void closeIfIdle();
  // The worker's park set saw the parked connection readable (or closed).
  void unpark();
  // The worker is going away: a parked session (held by the park set alone) closes.
  void dropIfParked();

  static constexpr int kMaxAttempts = 4;

  // The worker's list of open sessions.
  ClientSession* prevSession = nullptr;
  ClientSession* nextSession = nullptr;

 private:
  // kParked: idle, the descriptor out of Asio and in the worker's park set
  // (an idle connection costs the session object and nothing else).
  enum class Phase : uint8_t { kHandshake, kIdle, kParked, kHead, kExchange, kTunnel, kLinger, kClosed };

  // The entry point's current limits: a change applies to open connections
  // from their next step (an open tunnel gets a new upgrade_drain_timeout).
  const EntrypointLimits& limits() const { return ep_->config->limits; }
  Ref ref() { return Ref(this); }
  // The completion handler of a wait begun in `phase`: ignored once the
  // session has left that phase, closes the connection on an error, else
  // goes on with next(session).
  template <class Next>
  auto continueIn(Phase phase, Next next);
  friend void intrusive_ptr_add_ref(ClientSession* s) { ++s->refs_; }
  friend void intrusive_ptr_release(ClientSession* s) {
    if (--s->refs_ == 0) delete s;
  }

  // Between requests (fresh: just accepted, look for bytes before waiting).
  void awaitRequest(bool fresh = false);
  // The bare descriptor to the socket (registered with the worker's reactor).
  bool attach();
  // The client stream for an operation that may wait: a bare descriptor is
  // attached first.
  ClientStream& client();
  // Writes both buffers to the client, h(ec, total). A bare descriptor
  // (plain, not yet registered with the reactor) is written with one
  // sendmsg and registered only if that does not take everything: a
  // `Connection: close` exchange whose answer goes out whole never costs
  // an epoll_ctl.
  template <class H>
  void writeClient(std::array<boost::asio::const_buffer, 2> bufs, H&& h);
  // Idle, plain, the input buffer kept: the next request's bytes are read
  // by the reactor into it (awaitRequest); onTick parks it after idleRelease.
  void readIdle();
  void endIdleRead();  // gives the worker's idle-reader slot back (once)
  // Idle: out of the reactor into the worker's park set (holds a reference).
  void park();
  // Readable while idle (or just accepted): the first bytes of a request
  // (then its state is taken), the end of the connection, or nothing yet (parks).
  void readFirst();
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
  // Sends over an idle pooled connection of x_->backend, else a new one.
  void useIdleOrConnect();
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
  // A tunnel read from the client (fromClient) or the backend ended: true
  // when bytes came (the idle deadline moves on); false when that side is
  // done (its end passed on as a half-close) or failed (closed).
  bool tunnelRead(const boost::system::error_code& ec, bool fromClient);
  void tunnelSideDone();
  void checkTunnelDrain(MonoTime now);
  // Endings.
  void finishExchange(bool upstreamReusable);
  void reply(int status, const std::string& reason, const std::string& detail, bool close);
  void lingerClose();
  // Gives the exchange state and the input buffer's memory to the worker's pools.
  void releaseState();
  void account(int status, bool upstreamError);
  void closeClient();
  bool stale(uint64_t serial) const { return !x_ || x_->connSerial != serial; }

  Worker& worker_;
  std::shared_ptr<Entrypoint> ep_;
  ClientStream stream_;                  // TLS: holds the entry point's certificates as accepted
  ByteBuffer in_;                        // bytes from the client not yet consumed
  std::unique_ptr<ClientExchange> x_;    // the exchange in progress (kept while busy)
  MonoTime clientDeadline_{};
  MonoTime upstreamDeadline_{};
  MonoTime requestDeadline_{};           // kIdle: when the idle connection gives its state back
  uint32_t refs_ = 0;                    // Ref count (handlers pending, the starter)
  uint32_t serials_ = 0;                 // source of ClientExchange::connSerial
  int fd_ = -1;                          // the bare descriptor while not attached (fresh or parked)
  Phase phase_ = Phase::kHandshake;
  bool inParkSet_ = false;               // fd_ was added to the park set once (re-armed since)
  bool clientTimedOut_ = false;          // a client deadline passed while an operation was pending
  bool upstreamTimedOut_ = false;        // an upstream deadline passed while an operation was pending
  bool requestTimedOut_ = false;         // request_timeout passed before the request was received
  bool clientReading_ = false;           // a read from the client is pending
  bool idleReading_ = false;             // readIdle's read is pending (holds a worker idle-reader slot)
  bool parkWanted_ = false;              // onTick cancelled readIdle's read to park
};

}  // namespace ramp::router
