#include "router/ClientSession.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <boost/asio/write.hpp>

#include "router/DataPlane.h"
#include "router/ForwardedHeads.h"
#include "router/HttpSyntax.h"
#include "router/Worker.h"

namespace ramp::router {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

std::string millisText(Millis m) { return std::to_string(m.count()) + " ms"; }

const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr size_t kHeadRead = 4096;

}  // namespace

ClientSession::ClientSession(Worker& worker, std::shared_ptr<Entrypoint> ep, int fd,
                             const std::shared_ptr<const EntrypointConfig>& config)
    : worker_(worker), ep_(std::move(ep)), stream_(Socket(worker.io())), fd_(fd) {
  worker_.attach(this);
  if (config->tls) {
    // The configuration as accepted stays with the connection: its TLS
    // certificates (SNI callbacks) for the connection's life.
    SSL* ssl = attach() ? config->tls->newConnection() : nullptr;
    if (ssl) {
      stream_.useTls(ssl, config);
    } else {
      closeClient();
    }
  }
}

ClientSession::~ClientSession() {
  if (x_ && x_->inflightHeld && x_->shard) CounterShard::add(x_->shard->inflight, -1);
  if (x_ && x_->tunnel && x_->shard) CounterShard::add(x_->shard->tunnels, -1);
  ep_->shared().connections.fetch_sub(1, std::memory_order_relaxed);
  endIdleRead();
  releaseState();
  worker_.detach(this);
}

void ClientSession::releaseState() {
  if (x_) worker_.giveExchange(std::move(x_));  // reset there
  if (in_.empty() && in_.capacity() > 0) worker_.giveBuffer(in_.takeStorage());
}

ClientStream& ClientSession::client() {
  attach();  // if that fails, operations on the stream fail (and close)
  return stream_;
}

template <class H>
void ClientSession::writeClient(std::array<asio::const_buffer, 2> bufs, H&& h) {
  if (fd_ < 0) {
    stream_.write(bufs, std::forward<H>(h));
    return;
  }
  // Bare (plain, never waited): one sendmsg; what it cannot take goes
  // through the reactor. Completes through the executor like any write.
  iovec iov[2];
  int count = 0;
  size_t total = 0;
  for (const auto& b : bufs) {
    if (b.size() == 0) continue;
    iov[count].iov_base = const_cast<void*>(b.data());
    iov[count].iov_len = b.size();
    ++count;
    total += b.size();
  }
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = static_cast<size_t>(count);
  ssize_t sent = count == 1   ? ::send(fd_, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL)
                 : count > 1 ? ::sendmsg(fd_, &msg, MSG_NOSIGNAL)
                             : 0;
  if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    error_code ec(errno, boost::system::system_category());
    asio::post(stream_.socket().get_executor(), [h = std::forward<H>(h), ec]() mutable { h(ec, size_t{0}); });
    return;
  }
  size_t done = sent > 0 ? static_cast<size_t>(sent) : 0;
  if (done == total) {
    asio::post(stream_.socket().get_executor(), [h = std::forward<H>(h), done]() mutable { h(error_code(), done); });
    return;
  }
  size_t skip = done;
  for (auto& b : bufs) {
    size_t k = std::min(skip, b.size());
    b += k;
    skip -= k;
  }
  client().write(bufs, [h = std::forward<H>(h), done](error_code ec, size_t n) mutable { h(ec, done + n); });
}

template <class Next>
auto ClientSession::continueIn(Phase phase, Next next) {
  return [self = ref(), phase, next](error_code ec) {
    if (self->phase_ != phase) return;
    if (ec) {
      self->closeClient();
      return;
    }
    next(*self);
  };
}

void ClientSession::start() {
  if (phase_ == Phase::kClosed) return;
  if (stream_.tls()) {
    phase_ = Phase::kHandshake;
    clientDeadline_ = worker_.clock().monotonic() + limits().headTimeout;
    stream_.handshake(continueIn(Phase::kHandshake, [](ClientSession& s) { s.awaitRequest(); }));
    return;
  }
  awaitRequest(true);
}

void ClientSession::closeIfIdle() {
  if (phase_ == Phase::kParked) {
    Ref parkedRef(this, false);  // the park set's reference goes with it
    closeClient();
    return;
  }
  if (phase_ == Phase::kIdle || phase_ == Phase::kHandshake) closeClient();
}

void ClientSession::dropIfParked() {
  if (phase_ == Phase::kParked) closeIfIdle();
}

bool ClientSession::attach() {
  if (fd_ < 0) return stream_.isOpen();
  error_code ec;
  stream_.socket().assignAccepted(ep_->protocol(), fd_, ec);
  if (ec) return false;  // fd_ is still ours: closeClient closes it
  fd_ = -1;
  return true;
}

void ClientSession::park() {
  phase_ = Phase::kParked;  // a wait still pending ends aborted, and is ignored
  if (fd_ < 0) {
    error_code ec;
    int fd = stream_.socket().release(ec);
    if (ec) {
      closeClient();
      return;
    }
    fd_ = fd;
  }
  if (!worker_.park(this, fd_, inParkSet_)) {
    // No park set: wait through the reactor instead.
    if (!attach()) {
      closeClient();
      return;
    }
    phase_ = Phase::kIdle;
    stream_.waitReadable(continueIn(Phase::kIdle, [](ClientSession& s) { s.beginRequest(); }));
    return;
  }
  inParkSet_ = true;
  intrusive_ptr_add_ref(this);  // held by the park set until unpark or close
}

void ClientSession::unpark() {
  // Only the park set calls this, and a parked session leaves the set only
  // through here or by closing (which removes its descriptor).
  if (phase_ != Phase::kParked) return;
  Ref parkedRef(this, false);  // the park set's reference
  if (!stream_.tls()) {
    // Plain: read from the bare descriptor. It is registered with the
    // reactor only if it has to wait (client()): a new connection whose
    // request came just after its accept, answered whole and closed, costs
    // no epoll_ctl beyond the park set's.
    phase_ = Phase::kIdle;
    readFirst();
    return;
  }
  if (!attach()) {
    closeClient();
    return;
  }
  phase_ = Phase::kIdle;
  readFirst();  // readable: a request, or the end of the connection
}

void ClientSession::readFirst() {
  if (stream_.tls()) {
    if (!attach()) {
      closeClient();
      return;
    }
    beginRequest();
    return;
  }
  // Read before taking any state: a connection that closed (or woke for
  // nothing) costs no exchange and no buffer — a burst of idle clients
  // going away allocates nothing — and one that sent a request pays no
  // Asio operation for its first bytes.
  thread_local char first[kHeadRead];
  int fd = fd_ >= 0 ? fd_ : stream_.socket().native_handle();
  ssize_t n = ::recv(fd, first, sizeof first, MSG_DONTWAIT);
  if (n > 0) {
    // A bare descriptor stays bare: it is registered with the reactor only
    // when the connection has to wait (client()), and an answer that goes
    // out whole needs no wait (writeClient).
    if (in_.capacity() == 0) in_.adopt(worker_.takeBuffer());
    std::memcpy(in_.prepare(static_cast<size_t>(n)), first, static_cast<size_t>(n));
    in_.commit(static_cast<size_t>(n));
    beginRequest();
    return;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    park();  // nothing yet
    return;
  }
  closeClient();  // the client closed (or the connection failed)
}

// ---- between requests -------------------------------------------------------

void ClientSession::awaitRequest(bool fresh) {
  phase_ = Phase::kIdle;
  MonoTime now = worker_.clock().monotonic();
  clientDeadline_ = now + limits().idleTimeout;
  upstreamDeadline_ = MonoTime{};
  requestDeadline_ = now + worker_.options().idleRelease;  // kIdle: when to park
  clientTimedOut_ = upstreamTimedOut_ = requestTimedOut_ = false;
  if (worker_.stopping()) {
    closeClient();
    return;
  }
  if (!in_.empty()) {
    beginRequest();
    return;
  }
  // A plain keep-alive connection just answered keeps its input buffer
  // while it waits (up to idleRelease, then it parks and gives it back),
  // and the next request is read by the reactor straight into it: no
  // epoll_ctl per request (Asio re-arms the descriptor for every
  // async_wait) and no copy. Bounded with the worker's buffer pool (Worker::takeIdleReader).
  if (!fresh && !stream_.tls() && in_.capacity() > 0 && worker_.takeIdleReader()) {
    if (x_) worker_.giveExchange(std::move(x_));
    idleReading_ = true;
    readIdle();
    return;
  }
  // Nothing buffered: the exchange state and the input buffer go back to
  // the worker's pools now (the next request takes them back, warm).
  releaseState();
  // A new connection's request usually came with it: read it now rather
  // than after a trip through the reactor. One that sent nothing yet waits
  // parked, never registered with the reactor.
  if (fresh && fd_ >= 0) {
    readFirst();
    return;
  }
  // No buffer while waiting: an idle connection holds none.
  client().waitReadable(continueIn(Phase::kIdle, [](ClientSession& s) { s.readFirst(); }));
}

void ClientSession::readIdle() {
  char* p = in_.prepare(kHeadRead);
  client().readSome(p, in_.writable(), [self = ref()](error_code ec, size_t got) {
    self->endIdleRead();
    if (self->phase_ != Phase::kIdle) return;
    const bool parkNow = self->parkWanted_;
    self->parkWanted_ = false;
    if (ec == asio::error::operation_aborted && parkNow) {
      // Idle for idleRelease (onTick cancelled the read): park, holding nothing.
      self->releaseState();
      self->park();
      return;
    }
    if (ec) {
      self->closeClient();  // the client closed (or the connection failed)
      return;
    }
    self->in_.commit(got);
    self->beginRequest();
  });
}

void ClientSession::endIdleRead() {
  if (!idleReading_) return;
  idleReading_ = false;
  worker_.giveIdleReader();
}

void ClientSession::beginRequest() {
  phase_ = Phase::kHead;
  MonoTime now = worker_.clock().monotonic();
  clientDeadline_ = now + limits().headTimeout;
  requestDeadline_ = limits().requestTimeout.count() > 0 ? now + limits().requestTimeout : MonoTime{};
  if (!x_) {
    x_ = worker_.takeExchange();
  } else {
    x_->reset();
  }
  readHead();
}

void ClientSession::readHead() {
  switch (x_->parser.parse(in_.view())) {
    case HttpRequestParser::State::kError:
      reply(x_->parser.status(), "Bad Request", x_->parser.error(), true);
      return;
    case HttpRequestParser::State::kDone:
      onHead();
      return;
    case HttpRequestParser::State::kNeedMore:
      readClient(kHeadRead, [this] { readHead(); });
      return;
  }
}

void ClientSession::readClient(size_t atLeast, std::function<void()> then) {
  if (requestDeadline_ != MonoTime{} && worker_.clock().monotonic() >= requestDeadline_) {
    requestTimedOut_ = true;
    clientReadFailed(asio::error::timed_out);
    return;
  }
  if (in_.capacity() == 0) in_.adopt(worker_.takeBuffer());
  char* p = in_.prepare(atLeast);
  size_t n = std::min(in_.writable(), std::max(atLeast, worker_.options().upstreamBuffer));
  clientReading_ = true;
  client().readSome(p, n, [self = ref(), then = std::move(then)](error_code ec, size_t got) {
    self->clientReading_ = false;
    if (self->phase_ != Phase::kHead && self->phase_ != Phase::kExchange) return;
    if (ec) {
      self->clientReadFailed(ec);
      return;
    }
    self->in_.commit(got);
    if (self->requestDeadline_ != MonoTime{} && self->worker_.clock().monotonic() >= self->requestDeadline_) {
      self->requestTimedOut_ = true;
      self->clientReadFailed(asio::error::timed_out);
      return;
    }
    then();
  });
}

void ClientSession::clientReadFailed(const error_code&) {
  bool late = clientTimedOut_ || requestTimedOut_;
  if (!late) {
    // The client went away (or reset) in the middle of a request.
    closeUpstream();
    closeClient();
    return;
  }
  if (x_ && x_->responseStarted) {
    closeUpstream();
    closeClient();
    return;
  }
  closeUpstream();
  if (x_) x_->uploadStopped = true;
  std::string why = phase_ == Phase::kHead
                        ? "request head not received within " + millisText(requestTimedOut_ && !clientTimedOut_
                                                                                 ? limits().requestTimeout
                                                                                 : limits().headTimeout)
                        : (requestTimedOut_ ? "request not received within " + millisText(limits().requestTimeout)
                                            : "request body stalled for " + millisText(limits().clientTimeout));
  reply(408, "Request Timeout", why, true);
}

// ---- the request head -------------------------------------------------------

void ClientSession::onHead() {
  auto& x = *x_;
  const RequestHead& h = x.parser.head();
  x.clientHttp10 = h.versionMinor == 0;
  x.clientKeepAlive = h.keepAlive && !worker_.stopping();
  x.clientClose = !h.keepAlive;
  x.idempotent = h.idempotent;
  x.isHead = h.isHead;
  x.framing = h.framing;
  x.expectContinue = h.expectContinue && h.framing != BodyFraming::kNone;
  const uint64_t maxBody = limits().maxRequestBody;
  if (maxBody > 0 && h.framing == BodyFraming::kLength && h.contentLength > maxBody) {
    reply(413, "Content Too Large", "request body larger than " + std::to_string(maxBody) + " bytes", true);
    return;
  }

  // The head as it goes upstream (ForwardedHeads.h).
  x.split = ep_->split;
  auto fwd = buildUpstreamHead(h, x.split->pinFleet() >= 0 ? x.split->pin() : std::nullopt, x.reqHead);
  x.upgrade = fwd.upgrade;
  const bool pinned = fwd.pinned;

  // Body framing: how much of it is here already (the head's views are not
  // used after this point: reading may move the buffer).
  x.bodyStart = h.headBytes;
  x.bodyRemaining = h.framing == BodyFraming::kLength ? h.contentLength : 0;
  x.chunks.reset();
  x.chunks.setMaxBody(maxBody > 0 ? maxBody : UINT64_MAX);
  phase_ = Phase::kExchange;
  clientDeadline_ = MonoTime{};
  auto f = frameBody();
  if (f == Framing::kError) {
    bool tooLarge = x.chunks.error().find("limit") != std::string::npos;
    reply(tooLarge ? 413 : 400, tooLarge ? "Content Too Large" : "Bad Request", "chunked body: " + x.chunks.error(),
          true);
    return;
  }
  x.whole = f == Framing::kDone;
  x.requestBytes = x.bodyStart + x.framed;
  if (x.whole) requestDeadline_ = MonoTime{};

  x.fleet = -1;
  x.fellBack = false;
  if (pinned && !x.split->fleets[x.split->pinFleet()].backends.empty()) {
    x.fleet = x.split->pinFleet();
  } else {
    x.fleet = x.split->pickWeighted();
  }
  if (x.fleet < 0) {
    reply(503, "Service Unavailable", "no fleet takes traffic on entry point " + ep_->name(), !x.whole);
    return;
  }
  x.shard = x.split->fleets[x.fleet].shard;
  CounterShard::add(x.shard->inflight, 1);
  x.inflightHeld = true;
  x.started = worker_.clock().monotonic();
  dispatch();
}

ClientSession::Framing ClientSession::frameBody() {
  auto& x = *x_;
  switch (x.framing) {
    case BodyFraming::kNone:
      x.bodyComplete = true;
      return Framing::kDone;
    case BodyFraming::kLength: {
      size_t avail = in_.size() - x.bodyStart;
      x.framed = static_cast<size_t>(std::min<uint64_t>(avail, x.bodyRemaining));
      if (x.framed == x.bodyRemaining) {
        x.bodyComplete = true;
        return Framing::kDone;
      }
      return Framing::kNeedMore;
    }
    case BodyFraming::kChunked: {
      size_t used = 0;
      auto st = x.chunks.feed(in_.view().substr(x.bodyStart + x.framed), &used);
      x.framed += used;
      if (st == ChunkedBodyScanner::State::kError) return Framing::kError;
      if (st == ChunkedBodyScanner::State::kDone) {
        x.bodyComplete = true;
        return Framing::kDone;
      }
      return Framing::kNeedMore;
    }
  }
  return Framing::kError;
}

// ---- upstream ---------------------------------------------------------------

void ClientSession::dispatch() {
  auto& x = *x_;
  x.attempts = 0;
  x.tried.clear();
  if (!pickBackend()) {
    if (fallBackToStable()) return;
    reply(503, "Service Unavailable", "fleet " + x.split->fleets[x.fleet].id() + " has no instance", !x.whole);
    return;
  }
  ++x.attempts;
  useIdleOrConnect();
}

void ClientSession::useIdleOrConnect() {
  auto& x = *x_;
  // Try the pool first, then a fresh connection. Only a request that could
  // be retried (idempotent, body buffered) may use a connection idle long,
  // and it skips the liveness peek on a hot connection (idle less than
  // peekAfterIdle): if the backend closed it, the request fails with no
  // answer and goes again (upstreamFailed). A connection idle longer is
  // peeked: a backend's unsolicited bytes (408 at its idle timeout) must not
  // become this request's answer.
  const auto& o = worker_.options();
  const bool retriable = x.idempotent && x.whole;
  x.conn = x.backend->takeIdle(worker_.clock().monotonic(), retriable ? o.poolIdle : o.freshForUnsafe,
                               retriable ? o.peekAfterIdle : Millis::zero());
  x.reused = x.conn != nullptr;
  if (x.conn) {
    x.connSerial = ++serials_;
    sendRequest();
  } else {
    connectFresh();
  }
}

bool ClientSession::pickBackend() {
  auto& x = *x_;
  auto& f = x.split->fleets[x.fleet];
  size_t n = f.backends.size();
  if (n == 0) return false;
  MonoTime now = worker_.clock().monotonic();
  auto wasTried = [&](Backend* b) { return std::find(x.tried.begin(), x.tried.end(), b) != x.tried.end(); };
  // Pass 0: untried and up; pass 1: untried; pass 2 (only after a stale pooled
  // connection, i.e. tried non-empty and retrying is allowed): anything.
  for (int pass = 0; pass < 3; ++pass) {
    for (size_t k = 0; k < n; ++k) {
      size_t idx = (f.nextBackend + k) % n;
      Backend* b = f.backends[idx].get();
      if (pass < 2 && wasTried(b)) continue;
      if (pass == 0 && b->isDown(now)) continue;
      if (pass == 2 && b->isDown(now) && n > 1) continue;
      f.nextBackend = idx + 1;
      x.backend = f.backends[idx];
      return true;
    }
    if (pass == 1 && x.tried.empty()) break;
  }
  return false;
}

bool ClientSession::fallBackToStable() {
  auto& x = *x_;
  int stable = x.split ? x.split->stableFleet() : -1;
  if (stable < 0 || stable == x.fleet || x.fellBack || x.split->fleets[stable].backends.empty()) return false;
  // The chosen fleet failed this request: counted once, as its error (no
  // latency: it never answered), and never shown to the user.
  if (x.inflightHeld && x.shard) {
    auto& c = *x.shard;
    CounterShard::add(c.requests);
    CounterShard::add(c.upstreamErrors);
    CounterShard::add(c.fallbacks);
    CounterShard::add(c.inflight, -1);
    x.inflightHeld = false;
  }
  x.fellBack = true;
  x.fleet = stable;
  x.shard = x.split->fleets[stable].shard;
  CounterShard::add(x.shard->inflight, 1);
  x.inflightHeld = true;
  x.started = worker_.clock().monotonic();
  x.conn.reset();
  dispatch();
  return true;
}

void ClientSession::connectFresh() {
  auto& x = *x_;
  x.conn = std::make_unique<UpstreamConnection>(stream_.socket().get_executor());
  x.reused = false;
  uint64_t serial = x.connSerial = ++serials_;
  startUpstreamWait(limits().connectTimeout);
  x.conn->socket.async_connect(x.backend->endpoint(), [self = ref(), serial](error_code ec) {
    if (self->phase_ == Phase::kClosed || self->stale(serial)) return;
    auto& x = *self->x_;
    self->upstreamDeadline_ = MonoTime{};
    if (ec) {
      // Nothing was sent: any method may go to another instance.
      bool timeout = self->upstreamTimedOut_;
      self->upstreamTimedOut_ = false;
      MonoTime now = self->worker_.clock().monotonic();
      x.backend->markDown(now, self->worker_.options().backendDownFor);
      x.tried.push_back(x.backend.get());
      x.conn.reset();
      bool untried = false;
      if (x.attempts < kMaxAttempts)
        for (auto& b : x.split->fleets[x.fleet].backends)
          if (std::find(x.tried.begin(), x.tried.end(), b.get()) == x.tried.end()) untried = true;
      if (untried && self->pickBackend()) {
        ++x.attempts;
        self->useIdleOrConnect();
        return;
      }
      // No instance of the chosen fleet took the connection and nothing was
      // sent: the stable fleet serves the request instead (any method).
      if (self->fallBackToStable()) return;
      self->upstreamFailed("cannot connect to " + x.backend->address() + ": " +
                               (timeout ? "timed out after " + millisText(self->limits().connectTimeout) : ec.message()),
                           false, timeout);
      return;
    }
    x.backend->markUp();
    error_code ignored;
    x.conn->socket.set_option(tcp::no_delay(true), ignored);
    self->sendRequest();
  });
}

void ClientSession::sendRequest() {
  auto& x = *x_;
  uint64_t serial = x.connSerial;
  startUpstreamWait(limits().responseTimeout);
  std::string_view all = in_.view();
  size_t bodyPart = x.framed;
  auto onSent = [self = ref(), serial, bodyPart](error_code ec, size_t) {
    if (self->phase_ == Phase::kClosed || self->stale(serial)) return;
    auto& x = *self->x_;
    if (ec) {
      self->upstreamFailed("write to " + x.backend->address() + " failed: " + ec.message(), true,
                           self->upstreamTimedOut_);
      return;
    }
    x.up.clear();
    x.respParser.reset();
    if (x.whole) {
      x.uploadDone = true;
      self->readResponse();
      return;
    }
    // Streaming: what went upstream leaves the buffer (no retry from now on
    // once a body byte has gone).
    self->in_.consume(x.bodyStart + bodyPart);
    if (x.framing == BodyFraming::kLength) x.bodyRemaining -= bodyPart;
    if (bodyPart > 0) x.bodySent = true;
    x.bodyStart = 0;
    x.framed = 0;
    self->upstreamDeadline_ = MonoTime{};  // the backend may stay silent while the body streams
    self->sendContinueThenPump();
  };
  // A head alone goes as one buffer: Asio sends it with send(), not sendmsg().
  if (bodyPart == 0) {
    asio::async_write(x.conn->socket, asio::buffer(x.reqHead), std::move(onSent));
  } else {
    std::array<asio::const_buffer, 2> bufs{asio::buffer(x.reqHead), asio::buffer(all.data() + x.bodyStart, bodyPart)};
    asio::async_write(x.conn->socket, bufs, std::move(onSent));
  }
}

void ClientSession::sendContinueThenPump() {
  auto& x = *x_;
  if (x.expectContinue && !x.continueSent) {
    x.continueSent = true;
    clientDeadline_ = worker_.clock().monotonic() + limits().clientTimeout;
    writeClient({asio::buffer(kContinue), asio::const_buffer()}, [self = ref()](error_code ec, size_t) {
      if (self->phase_ != Phase::kExchange) return;
      self->clientDeadline_ = MonoTime{};
      if (ec) {
        self->closeUpstream();
        self->closeClient();
        return;
      }
      self->sendContinueThenPump();
    });
    return;
  }
  // An early answer (413, 401, ...) is relayed while the body streams.
  readResponse();
  pumpBody();
}

void ClientSession::pumpBody() {
  auto& x = *x_;
  if (x.uploadStopped || phase_ != Phase::kExchange) return;
  if (x.framed == 0) {
    if (x.bodyComplete) {
      uploadFinished();
      return;
    }
    auto f = frameBody();
    if (f == Framing::kError) {
      closeUpstream();
      x.uploadStopped = true;
      if (x.responseStarted) {
        closeClient();
        return;
      }
      bool tooLarge = x.chunks.error().find("limit") != std::string::npos;
      reply(tooLarge ? 413 : 400, tooLarge ? "Content Too Large" : "Bad Request",
            "chunked body: " + x.chunks.error(), true);
      return;
    }
    if (x.framed == 0 && f != Framing::kDone) {
      clientDeadline_ = worker_.clock().monotonic() + limits().clientTimeout;
      readClient(worker_.options().upstreamBuffer, [this] {
        clientDeadline_ = MonoTime{};
        pumpBody();
      });
      return;
    }
    if (x.framed == 0) {  // the body ended with no more data (a last chunk alone)
      uploadFinished();
      return;
    }
  }
  size_t n = x.framed;
  uint64_t serial = x.connSerial;
  startUpstreamWait(limits().responseTimeout);
  asio::async_write(x.conn->socket, asio::buffer(in_.view().data() + x.bodyStart, n),
                    [self = ref(), serial, n](error_code ec, size_t) {
                      if (self->phase_ != Phase::kExchange || self->stale(serial)) return;
                      auto& x = *self->x_;
                      self->upstreamDeadline_ = MonoTime{};
                      if (x.uploadStopped) return;
                      if (ec) {
                        self->upstreamFailed("write to " + x.backend->address() + " failed: " + ec.message(), true,
                                             self->upstreamTimedOut_);
                        return;
                      }
                      x.bodySent = true;
                      self->in_.consume(x.bodyStart + n);
                      if (x.framing == BodyFraming::kLength) x.bodyRemaining -= n;
                      x.bodyStart = 0;
                      x.framed = 0;
                      self->pumpBody();
                    });
}

void ClientSession::uploadFinished() {
  auto& x = *x_;
  x.uploadDone = true;
  requestDeadline_ = MonoTime{};
  // The response read is pending since the head went: from now on the
  // backend has response_timeout to answer.
  if (!x.responseStarted) upstreamDeadline_ = worker_.clock().monotonic() + limits().responseTimeout;
}

void ClientSession::readResponse() {
  auto& x = *x_;
  uint64_t serial = x.connSerial;
  char* p = x.up.prepare(kHeadRead);
  size_t n = std::min(x.up.writable(), worker_.options().upstreamBuffer);
  x.conn->socket.async_read_some(asio::buffer(p, n), [self = ref(), serial](error_code ec, size_t got) {
    if (self->phase_ != Phase::kExchange || self->stale(serial)) return;
    auto& x = *self->x_;
    if (ec) {
      self->upstreamFailed("reading the response from " + x.backend->address() + ": " + ec.message(), true,
                           self->upstreamTimedOut_);
      return;
    }
    x.gotResponseBytes = true;
    x.up.commit(got);
    if (x.uploadDone) self->upstreamDeadline_ = self->worker_.clock().monotonic() + self->limits().responseTimeout;
    while (true) {
      auto st = x.respParser.parse(x.up.view(), x.isHead);
      if (st == HttpResponseParser::State::kNeedMore) {
        self->readResponse();
        return;
      }
      if (st == HttpResponseParser::State::kError) {
        self->releaseUpstream(false);
        x.uploadStopped = true;
        self->reply(502, "Bad Gateway",
                    "invalid response from " + x.backend->address() + ": " + x.respParser.error(),
                    !x.clientKeepAlive || !x.uploadDone);
        return;
      }
      int s = x.respParser.head().status;
      if (s >= 100 && s < 200 && s != 101) {
        // Interim responses (100 Continue was answered by the router) are dropped.
        x.up.consume(x.respParser.head().headBytes);
        x.respParser.reset();
        if (x.up.empty()) {
          self->readResponse();
          return;
        }
        continue;
      }
      self->onResponseHead();
      return;
    }
  });
}

void ClientSession::upstreamFailed(const std::string& whyIn, bool afterSend, bool timeout) {
  auto& x = *x_;
  // A stall cut by the tick shows as a cancelled operation: say what it was.
  const std::string why = timeout && afterSend ? x.backend->address() + " timed out: silent for " +
                                                     millisText(limits().responseTimeout) + " (response_timeout)"
                                               : whyIn;
  releaseUpstream(false);
  upstreamDeadline_ = MonoTime{};
  // Nothing came back and nothing of the request is lost (idempotent, its
  // body still buffered): it may go again.
  bool retriable = !timeout && afterSend && !x.gotResponseBytes && x.idempotent && x.whole && !x.bodySent;
  if (retriable) {
    // On a pooled connection this is a connection the backend had closed
    // while idle (retriable requests skip the pool's peek on a hot
    // connection): handled like a
    // refused connect — a fresh connection to the next instance, and when
    // the fleet has none left to try, the stable fleet.
    const bool stalePooled = x.reused;
    x.tried.push_back(x.backend.get());
    if (x.attempts < kMaxAttempts && pickBackend()) {
      ++x.attempts;
      connectFresh();
      return;
    }
    if (stalePooled && fallBackToStable()) return;
  }
  x.uploadStopped = true;
  x.status = 0;
  if (x.responseStarted) {
    closeClient();
    return;
  }
  reply(timeout ? 504 : 502, timeout ? "Gateway Timeout" : "Bad Gateway", why, !x.clientKeepAlive || !x.whole);
}

void ClientSession::onResponseHead() {
  auto& x = *x_;
  const ResponseHead& h = x.respParser.head();
  x.status = h.status;
  bool switching = h.status == 101;
  if (switching && !(x.upgrade && x.whole)) {
    releaseUpstream(false);
    x.uploadStopped = true;
    reply(502, "Bad Gateway", "backend switched protocols without an upgrade request", true);
    return;
  }
  if (!x.uploadDone) {
    // The answer came before the whole body went: relay it, send no more
    // of the body, and close the connection afterwards.
    x.uploadStopped = true;
    x.clientKeepAlive = false;
    upstreamDeadline_ = worker_.clock().monotonic() + limits().responseTimeout;
  }
  x.respFraming = h.framing;
  x.respRemaining = h.contentLength;
  x.upstreamKeepAlive = h.keepAlive && x.uploadDone;
  if (h.framing == ResponseHead::Framing::kUntilClose) x.clientKeepAlive = false;
  if (x.clientHttp10 && h.framing == ResponseHead::Framing::kChunked) x.clientKeepAlive = false;
  if (worker_.stopping()) x.clientKeepAlive = false;

  std::string_view all = x.up.view();
  buildClientResponseHead(h, all.substr(0, all.find("\r\n") + 2), x.clientKeepAlive, x.clientHttp10, x.respHead);
  x.up.consume(h.headBytes);
  if (switching) {
    startTunnel();
    return;
  }
  x.respChunks.reset();
  x.responseStarted = false;
  relay();
}

// Sends the body bytes now in the response buffer (after the head, on the first call).
void ClientSession::relay() {
  auto& x = *x_;
  size_t n = 0;
  bool done = false;
  switch (x.respFraming) {
    case ResponseHead::Framing::kNone:
      done = true;
      break;
    case ResponseHead::Framing::kLength:
      n = static_cast<size_t>(std::min<uint64_t>(x.up.size(), x.respRemaining));
      x.respRemaining -= n;
      done = x.respRemaining == 0;
      break;
    case ResponseHead::Framing::kChunked: {
      auto st = x.respChunks.feed(x.up.view(), &n);
      if (st == ChunkedBodyScanner::State::kError) {
        releaseUpstream(false);
        if (!x.responseStarted) {
          reply(502, "Bad Gateway", "invalid chunked response from " + x.backend->address(), true);
        } else {
          closeClient();
        }
        return;
      }
      done = st == ChunkedBodyScanner::State::kDone;
      break;
    }
    case ResponseHead::Framing::kUntilClose:
      n = x.up.size();
      break;
  }
  writeToClient(n, done);
}

void ClientSession::writeToClient(size_t n, bool done) {
  auto& x = *x_;
  if (n == 0 && !done && x.responseStarted) {
    readMoreUpstream();
    return;
  }
  clientDeadline_ = worker_.clock().monotonic() + limits().clientTimeout;
  // A short body goes out in one buffer with the head (one send(), no iovec array).
  constexpr size_t kJoinBody = 2048;
  const bool join = !x.responseStarted && n > 0 && n <= kJoinBody;
  if (join) x.respHead.append(x.up.view().data(), n);
  std::array<asio::const_buffer, 2> bufs{x.responseStarted ? asio::const_buffer() : asio::buffer(x.respHead),
                                         join ? asio::const_buffer() : asio::buffer(x.up.view().data(), n)};
  if (done) {
    // Counted before the last bytes leave: a client that has its whole
    // answer finds it in the counters (the admin API runs on another thread).
    x.bytesOut += bufs[0].size() + bufs[1].size();
    account(x.status, false);
  }
  writeClient(bufs, [self = ref(), n, done](error_code ec, size_t written) {
    if (self->phase_ != Phase::kExchange) return;
    auto& x = *self->x_;
    self->clientDeadline_ = MonoTime{};
    if (ec) {
      self->closeUpstream();
      self->closeClient();
      return;
    }
    x.responseStarted = true;
    if (!done) x.bytesOut += written;
    x.up.consume(n);
    if (done) {
      self->finishExchange(x.upstreamKeepAlive && x.up.empty());
    } else {
      self->readMoreUpstream();
    }
  });
}

void ClientSession::startUpstreamWait(Millis timeout) {
  upstreamTimedOut_ = false;
  upstreamDeadline_ = worker_.clock().monotonic() + timeout;
}

void ClientSession::readMoreUpstream() {
  auto& x = *x_;
  uint64_t serial = x.connSerial;
  startUpstreamWait(limits().responseTimeout);
  size_t chunk = worker_.options().upstreamBuffer;
  char* p = x.up.prepare(chunk);
  x.conn->socket.async_read_some(asio::buffer(p, std::min(x.up.writable(), chunk)),
                                 [self = ref(), serial](error_code ec, size_t m) {
                                   if (self->phase_ != Phase::kExchange || self->stale(serial)) return;
                                   auto& x = *self->x_;
                                   self->upstreamDeadline_ = MonoTime{};
                                   if (ec) {
                                     if (ec == asio::error::eof &&
                                         x.respFraming == ResponseHead::Framing::kUntilClose) {
                                       self->finishExchange(false);
                                     } else {
                                       self->closeUpstream();
                                       self->closeClient();
                                     }
                                     return;
                                   }
                                   x.up.commit(m);
                                   self->relay();
                                 });
}

void ClientSession::releaseUpstream(bool reusable) {
  if (!x_ || !x_->conn) return;
  auto& x = *x_;
  if (reusable && x.backend) {
    ++x.conn->requestsServed;
    x.backend->putIdle(std::move(x.conn), worker_.clock().monotonic());
  } else {
    closeUpstream();
  }
}

void ClientSession::closeUpstream() {
  if (!x_ || !x_->conn) return;
  error_code ec;
  x_->conn->socket.close(ec);
  x_->conn.reset();
  x_->connSerial = ++serials_;  // handlers still pending on it are stale now
}

// ---- after a 101 -------------------------------------------------------------

void ClientSession::startTunnel() {
  auto& x = *x_;
  phase_ = Phase::kTunnel;
  MonoTime now = worker_.clock().monotonic();
  upstreamDeadline_ = requestDeadline_ = MonoTime{};
  clientDeadline_ = limits().tunnelIdleTimeout.count() > 0 ? now + limits().tunnelIdleTimeout : MonoTime{};
  in_.consume(x.requestBytes);  // bytes after the request are the client's first tunnel bytes
  x.whole = false;
  x.bytesOut = x.respHead.size();
  account(101, false);  // the request is answered; the tunnel is counted apart
  x.bytesOut = 0;
  x.tunnel = true;
  CounterShard::add(x.shard->tunnels, 1);
  CounterShard::add(x.shard->upgrades);
  client().write({asio::buffer(x.respHead), asio::buffer(x.up.view())},
                [self = ref()](error_code ec, size_t written) {
                  if (self->phase_ != Phase::kTunnel) return;
                  if (ec) {
                    self->closeClient();
                    return;
                  }
                  auto& x = *self->x_;
                  x.up.consume(x.up.size());
                  (void)written;
                  self->tunnelUpstreamToClient();
                });
  tunnelClientToUpstream();
}

void ClientSession::tunnelClientToUpstream() {
  auto& x = *x_;
  auto self = ref();
  if (!in_.empty()) {
    asio::async_write(x.conn->socket, asio::buffer(in_.view()), [self](error_code ec, size_t n) {
      if (self->phase_ != Phase::kTunnel) return;
      if (ec) {
        self->closeClient();
        return;
      }
      self->in_.consume(n);
      self->tunnelClientToUpstream();
    });
    return;
  }
  size_t chunk = worker_.options().upstreamBuffer;
  char* p = in_.prepare(chunk);
  stream_.readSome(p, std::min(in_.writable(), chunk), [self](error_code ec, size_t n) {
    if (self->phase_ != Phase::kTunnel || !self->tunnelRead(ec, true)) return;
    self->in_.commit(n);
    self->tunnelClientToUpstream();
  });
}

void ClientSession::tunnelUpstreamToClient() {
  auto& x = *x_;
  auto self = ref();
  size_t chunk = worker_.options().upstreamBuffer;
  char* p = x.up.prepare(chunk);
  x.conn->socket.async_read_some(asio::buffer(p, std::min(x.up.writable(), chunk)), [self](error_code ec, size_t n) {
    if (self->phase_ != Phase::kTunnel || !self->tunnelRead(ec, false)) return;
    auto& x = *self->x_;
    x.up.commit(n);
    self->stream_.write({asio::buffer(x.up.view()), asio::const_buffer()}, [self](error_code ec2, size_t written) {
      if (self->phase_ != Phase::kTunnel) return;
      if (ec2) {
        self->closeClient();
        return;
      }
      auto& x = *self->x_;
      x.bytesOut += written;
      x.up.consume(written);
      self->tunnelUpstreamToClient();
    });
  });
}

bool ClientSession::tunnelRead(const error_code& ec, bool fromClient) {
  auto& x = *x_;
  if (!ec) {
    if (limits().tunnelIdleTimeout.count() > 0)
      clientDeadline_ = worker_.clock().monotonic() + limits().tunnelIdleTimeout;
    return true;
  }
  if (ec != asio::error::eof) {
    closeClient();
    return false;
  }
  // That side is done sending: pass the half-close on to the other.
  if (fromClient) {
    x.clientDone = true;
    error_code ignored;
    x.conn->socket.shutdown(tcp::socket::shutdown_send, ignored);
  } else {
    x.upstreamDone = true;
    stream_.shutdownSend();
  }
  tunnelSideDone();
  return false;
}

void ClientSession::tunnelSideDone() {
  if (x_->clientDone && x_->upstreamDone) closeClient();
}

void ClientSession::checkTunnelDrain(MonoTime now) {
  auto& x = *x_;
  const ActiveSplit& current = *ep_->split;
  int i = current.indexOf(x.split->fleets[x.fleet].id());
  bool active = !ep_->removed && i >= 0 && current.takesTraffic(static_cast<size_t>(i));
  if (active) {
    x.drainingSince = MonoTime{};
    return;
  }
  if (x.drainingSince == MonoTime{}) x.drainingSince = now;
  auto bound = limits().upgradeDrainTimeout;
  if (bound.count() > 0 && now - x.drainingSince >= bound) closeClient();
}

// ---- endings -----------------------------------------------------------------

void ClientSession::finishExchange(bool upstreamReusable) {
  auto& x = *x_;
  bool complete = x.uploadDone && !x.uploadStopped;
  releaseUpstream(upstreamReusable && complete);
  account(x.status, false);
  if (x.whole) in_.consume(x.requestBytes);
  bool keep = x.clientKeepAlive && complete && !worker_.stopping();
  // The client asked to close, its request was read whole and nothing
  // after it came with it: nothing to linger for (a client that sent
  // "close" sends no further request), close now.
  bool closeNow = !keep && complete && x.clientClose && in_.empty();
  x.reset();  // drop the split, backend and connection references now
  if (closeNow) {
    if (stream_.tls()) stream_.shutdownSend();  // close_notify
    closeClient();
    return;
  }
  if (!keep) {
    lingerClose();
    return;
  }
  awaitRequest();
}

void ClientSession::reply(int status, const std::string& reason, const std::string& detail, bool close) {
  auto& x = *x_;
  if (!x.clientKeepAlive) close = true;
  if (phase_ == Phase::kHead) phase_ = Phase::kExchange;
  bool upstreamError = status == 502 || status == 503 || status == 504;
  x.replyText = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " + std::to_string(detail.size() + 1) +
                (close ? "\r\nConnection: close" : "") + "\r\n\r\n" + detail + "\n";
  x.status = status;
  clientDeadline_ = worker_.clock().monotonic() + limits().clientTimeout;
  upstreamDeadline_ = requestDeadline_ = MonoTime{};
  // Counted before the answer leaves (see writeToClient).
  x.bytesOut += x.replyText.size();
  account(status, upstreamError);
  writeClient({asio::buffer(x.replyText), asio::const_buffer()},
                [self = ref(), close](error_code ec, size_t) {
                  if (self->phase_ != Phase::kExchange) return;
                  auto& x = *self->x_;
                  self->clientDeadline_ = MonoTime{};
                  if (ec) {
                    self->closeClient();
                    return;
                  }
                  if (close) {
                    self->closeUpstream();
                    x.reset();
                    self->lingerClose();
                    return;
                  }
                  x.uploadDone = true;  // a request fully received, answered by the router
                  x.uploadStopped = false;
                  x.clientKeepAlive = true;
                  self->finishExchange(false);
                });
}

// Stop sending and read (and drop) what the client still sends for a
// moment, so that it reads the answer instead of a reset.
void ClientSession::lingerClose() {
  if (phase_ == Phase::kClosed || phase_ == Phase::kLinger) return;
  closeUpstream();
  phase_ = Phase::kLinger;
  client().shutdownSend();
  clientDeadline_ = worker_.clock().monotonic() + std::chrono::milliseconds(1000);
  // A read may still be pending into the input buffer: drop bytes into a
  // scratch buffer of the thread instead (their content is never looked at).
  thread_local char discard[16 * 1024];
  auto self = ref();
  auto drain = std::make_shared<std::function<void()>>();
  *drain = [self, drain] {
    self->stream_.readSome(discard, sizeof discard, [self, drain](error_code e, size_t) {
      if (self->phase_ != Phase::kLinger) {
        *drain = nullptr;
        return;
      }
      if (e) {
        self->closeClient();
        *drain = nullptr;
        return;
      }
      (*drain)();
    });
  };
  (*drain)();
}

void ClientSession::account(int status, bool upstreamError) {
  if (!x_ || !x_->inflightHeld || !x_->shard) return;
  auto& x = *x_;
  auto& c = *x.shard;
  CounterShard::add(c.requests);
  // A failed request counts once: the router's own 502/503/504 are upstream
  // errors, not a status class.
  if (upstreamError) {
    CounterShard::add(c.upstreamErrors);
  } else if (status > 0) {
    c.recordStatus(status);
  }
  CounterShard::add(c.bytesOut, x.bytesOut);
  auto elapsed = worker_.clock().monotonic() - x.started;
  c.latency.record(std::chrono::duration<double, std::milli>(elapsed).count());
  CounterShard::add(c.inflight, -1);
  x.inflightHeld = false;
}

void ClientSession::closeClient() {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  endIdleRead();
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  closeUpstream();
  if (x_) {
    account(x_->status > 0 ? x_->status : 0, false);
    if (x_->tunnel && x_->shard) {
      CounterShard::add(x_->shard->bytesOut, x_->bytesOut);
      CounterShard::add(x_->shard->tunnels, -1);
      x_->tunnel = false;
    }
  }
  stream_.close();
}

void ClientSession::onTick(MonoTime now) {
  auto passed = [now](MonoTime d) { return d != MonoTime{} && now >= d; };
  switch (phase_) {
    case Phase::kClosed:
      return;
    case Phase::kIdle:
      if (passed(clientDeadline_)) {
        closeClient();
      } else if (passed(requestDeadline_) && in_.empty()) {
        // Idle for a while (idleRelease): leave the reactor for the park set.
        if (idleReading_) {
          // The pending read ends aborted and parks (readIdle), unless a
          // request came first.
          if (!parkWanted_) {
            parkWanted_ = true;
            error_code ec;
            stream_.socket().cancel(ec);
          }
        } else if (!stream_.tls() || !SSL_has_pending(stream_.ssl())) {
          Ref keep(this);  // park() may close
          park();
        }
      }
      return;
    case Phase::kParked:
      if (passed(clientDeadline_)) closeIfIdle();  // idle_timeout: closed silently
      return;
    case Phase::kHandshake:
    case Phase::kLinger:
      if (passed(clientDeadline_)) closeClient();
      return;
    case Phase::kTunnel:
      if (passed(clientDeadline_)) {
        closeClient();
        return;
      }
      checkTunnelDrain(now);
      return;
    case Phase::kHead:
    case Phase::kExchange: {
      error_code ec;
      bool clientLate = passed(clientDeadline_);
      bool requestLate = passed(requestDeadline_) && clientReading_;
      if (clientLate || requestLate) {
        clientDeadline_ = MonoTime{};
        if (requestLate) requestDeadline_ = MonoTime{};
        clientTimedOut_ = clientTimedOut_ || clientLate;
        requestTimedOut_ = requestTimedOut_ || requestLate;
        stream_.socket().cancel(ec);  // the pending client operation ends with an error
      }
      if (passed(upstreamDeadline_) && x_ && x_->conn) {
        upstreamDeadline_ = MonoTime{};
        upstreamTimedOut_ = true;
        x_->conn->socket.close(ec);  // the pending upstream operation ends with an error
      }
      return;
    }
  }
}

}  // namespace ramp::router
