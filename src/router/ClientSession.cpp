#include "router/ClientSession.h"

#include <array>

#include <boost/asio/write.hpp>

#include "router/DataPlane.h"
#include "router/HttpSyntax.h"

namespace ramp::router {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using http::iequals;

namespace {

bool isHopByHop(std::string_view name) {
  return iequals(name, "connection") || iequals(name, "keep-alive") || iequals(name, "proxy-connection") ||
         iequals(name, "te") || iequals(name, "upgrade");
}

// Names listed in Connection headers (they are hop-by-hop too).
template <class Headers>
void connectionTokens(const Headers& headers, std::vector<std::string_view>& out) {
  out.clear();
  for (const auto& [n, v] : headers)
    if (iequals(n, "connection")) http::forEachListElement(v, [&](std::string_view t) { out.push_back(t); });
}

bool listed(const std::vector<std::string_view>& tokens, std::string_view name) {
  for (auto t : tokens)
    if (iequals(t, name)) return true;
  return false;
}

bool hasCookie(std::string_view cookieHeader, std::string_view name) {
  bool found = false;
  while (!cookieHeader.empty() && !found) {
    size_t semi = cookieHeader.find(';');
    std::string_view pair = http::trimOws(cookieHeader.substr(0, semi));
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) found = true;
    if (semi == std::string_view::npos) break;
    cookieHeader.remove_prefix(semi + 1);
  }
  return found;
}

thread_local std::vector<std::string_view> tokensScratch;

}  // namespace

ClientSession::ClientSession(DataPlane& plane, std::shared_ptr<Entrypoint> ep, tcp::socket socket)
    : plane_(plane), ep_(std::move(ep)), client_(std::move(socket)), up_(16 * 1024) {
  plane_.attach(this);
}

ClientSession::~ClientSession() {
  if (inflightHeld_ && counters_) --counters_->inflight;
  plane_.detach(this);
}

void ClientSession::start() { readRequest(); }

void ClientSession::closeIfIdle() {
  if (phase_ == Phase::kIdle) closeClient();
}

void ClientSession::onTick(MonoTime now) {
  if (phase_ == Phase::kClosed || deadline_ == MonoTime{} || now < deadline_) return;
  timedOut_ = true;
  deadline_ = MonoTime{};
  switch (phase_) {
    case Phase::kUpstream:
    case Phase::kResponse:
      if (conn_) {
        boost::system::error_code ec;
        conn_->socket.cancel(ec);
        conn_->socket.close(ec);
      }
      break;
    default:
      closeClient();
      break;
  }
}

void ClientSession::readRequest() {
  timedOut_ = false;
  MonoTime now = plane_.clock().monotonic();
  if (in_.empty()) {
    phase_ = Phase::kIdle;
    deadline_ = now + plane_.options().clientIdle;
    if (plane_.stopping()) {
      closeClient();
      return;
    }
  } else if (phase_ != Phase::kHead) {
    phase_ = Phase::kHead;
    deadline_ = now + plane_.options().clientHead;
  }
  switch (parser_.parse(in_.view())) {
    case HttpRequestParser::State::kError:
      reply(parser_.status(), "Bad Request", parser_.error(), true);
      return;
    case HttpRequestParser::State::kDone:
      onHead();
      return;
    case HttpRequestParser::State::kNeedMore:
      readMore(phase_);
      return;
  }
}

void ClientSession::readMore(Phase phase) {
  char* p = in_.prepare(4096);
  client_.async_read_some(asio::buffer(p, in_.writable()),
                          [self = shared_from_this(), phase](boost::system::error_code ec, size_t n) {
                            if (self->phase_ == Phase::kClosed) return;
                            if (ec) {
                              self->closeClient();
                              return;
                            }
                            self->in_.commit(n);
                            if (phase == Phase::kBody) {
                              self->onBodyComplete();
                            } else {
                              if (self->phase_ == Phase::kIdle) {
                                self->phase_ = Phase::kHead;
                                self->deadline_ = self->plane_.clock().monotonic() + self->plane_.options().clientHead;
                              }
                              self->readRequest();
                            }
                          });
}

void ClientSession::onHead() {
  const RequestHead& h = parser_.head();
  headBytes_ = h.headBytes;
  clientHttp10_ = h.versionMinor == 0;
  clientKeepAlive_ = h.keepAlive && !plane_.stopping();
  idempotent_ = h.idempotent;
  isHead_ = h.isHead;
  expectContinue_ = h.expectContinue && h.framing != BodyFraming::kNone;
  continueSent_ = false;
  requestBytes_ = 0;
  if (h.framing == BodyFraming::kLength && h.contentLength > plane_.options().maxRequestBody) {
    requestBytes_ = 0;
    reply(413, "Content Too Large",
          "request body larger than " + std::to_string(plane_.options().maxRequestBody) + " bytes", true);
    return;
  }

  // The head as it goes upstream: same request line and fields, minus
  // hop-by-hop ones (and Expect, which the router answers itself).
  connectionTokens(h.headers, tokensScratch);
  reqHead_.clear();
  reqHead_.append(h.method).append(" ").append(h.target).append(clientHttp10_ ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
  bool pinned = false;
  split_ = ep_->split;
  const auto& pin = split_->pin;
  for (const auto& [n, v] : h.headers) {
    if (pin && split_->pinFleet >= 0) {
      if (!pin->header.empty() && iequals(n, pin->header)) pinned = true;
      if (!pin->cookie.empty() && iequals(n, "cookie") && hasCookie(v, pin->cookie)) pinned = true;
    }
    if (isHopByHop(n) || iequals(n, "expect") || listed(tokensScratch, n)) continue;
    reqHead_.append(n).append(": ").append(v).append("\r\n");
  }
  if (clientHttp10_) reqHead_.append("Connection: keep-alive\r\n");
  reqHead_.append("\r\n");

  fleet_ = -1;
  fellBack_ = false;
  if (pinned && !split_->fleets[split_->pinFleet].backends.empty()) {
    fleet_ = split_->pinFleet;
  } else {
    fleet_ = split_->pickWeighted();
  }
  bool bodyPending = h.framing != BodyFraming::kNone;
  if (fleet_ < 0) {
    requestBytes_ = headBytes_;
    reply(503, "Service Unavailable", "no fleet takes traffic on entry point " + ep_->name(), bodyPending);
    return;
  }
  counters_ = split_->fleets[fleet_].counters;
  ++counters_->inflight;
  inflightHeld_ = true;
  started_ = plane_.clock().monotonic();
  bodyScanned_ = 0;
  chunks_ = ChunkedBodyScanner(plane_.options().maxRequestBody);
  if (expectContinue_ && in_.size() == headBytes_) {
    continueSent_ = true;
    static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    phase_ = Phase::kBody;
    asio::async_write(client_, asio::buffer(kContinue), [self = shared_from_this()](boost::system::error_code ec, size_t) {
      if (self->phase_ == Phase::kClosed) return;
      if (ec) {
        self->closeClient();
        return;
      }
      self->onBodyComplete();
    });
    return;
  }
  onBodyComplete();
}

// Called whenever body bytes may have arrived; dispatches once the whole
// request is buffered.
void ClientSession::onBodyComplete() {
  phase_ = Phase::kBody;
  const RequestHead& h = parser_.head();
  if (h.framing == BodyFraming::kNone) {
    requestBytes_ = headBytes_;
  } else if (h.framing == BodyFraming::kLength) {
    if (in_.size() < headBytes_ + h.contentLength) {
      readMore(Phase::kBody);
      return;
    }
    requestBytes_ = headBytes_ + h.contentLength;
  } else {
    size_t consumed = 0;
    auto st = chunks_.feed(in_.view().substr(headBytes_ + bodyScanned_), &consumed);
    bodyScanned_ += consumed;
    if (st == ChunkedBodyScanner::State::kError) {
      bool tooLarge = chunks_.error().find("limit") != std::string::npos;
      reply(tooLarge ? 413 : 400, tooLarge ? "Content Too Large" : "Bad Request",
            "chunked body: " + chunks_.error(), true);
      return;
    }
    if (st == ChunkedBodyScanner::State::kNeedMore) {
      readMore(Phase::kBody);
      return;
    }
    requestBytes_ = headBytes_ + bodyScanned_;
  }
  dispatch();
}

void ClientSession::dispatch() {
  attempts_ = 0;
  tried_.clear();
  if (!pickBackend()) {
    if (fallBackToStable()) return;
    reply(503, "Service Unavailable", "fleet " + split_->fleets[fleet_].id + " has no instance", !clientKeepAlive_);
    return;
  }
  // Try the pool first, then a fresh connection.
  ++attempts_;
  MonoTime now = plane_.clock().monotonic();
  conn_ = backend_->takeIdle(now, idempotent_ ? plane_.options().poolIdle : plane_.options().freshForUnsafe);
  if (conn_) {
    reused_ = true;
    sendRequest();
  } else {
    connectFresh();
  }
}

bool ClientSession::pickBackend() {
  auto& f = split_->fleets[fleet_];
  size_t n = f.backends.size();
  if (n == 0) return false;
  MonoTime now = plane_.clock().monotonic();
  auto wasTried = [&](Backend* b) {
    for (auto* t : tried_)
      if (t == b) return true;
    return false;
  };
  // Pass 0: untried and up; pass 1: untried; pass 2 (only after a stale pooled
  // connection, i.e. tried_ non-empty and retrying is allowed): anything.
  for (int pass = 0; pass < 3; ++pass) {
    for (size_t k = 0; k < n; ++k) {
      size_t idx = (f.nextBackend + k) % n;
      Backend* b = f.backends[idx].get();
      if (pass < 2 && wasTried(b)) continue;
      if (pass == 0 && b->isDown(now)) continue;
      if (pass == 2 && b->isDown(now) && n > 1) continue;
      f.nextBackend = idx + 1;
      backend_ = f.backends[idx];
      return true;
    }
    if (pass == 1 && tried_.empty()) break;
  }
  return false;
}

void ClientSession::connectFresh() {
  reused_ = false;
  phase_ = Phase::kUpstream;
  timedOut_ = false;
  deadline_ = plane_.clock().monotonic() + plane_.options().connectTimeout;
  conn_ = std::make_unique<UpstreamConnection>(client_.get_executor());
  conn_->socket.async_connect(backend_->endpoint(), [self = shared_from_this()](boost::system::error_code ec) {
    if (self->phase_ == Phase::kClosed) return;
    if (ec) {
      // Nothing was sent: any method may go to another instance.
      MonoTime now = self->plane_.clock().monotonic();
      self->backend_->markDown(now, self->plane_.options().backendDownFor);
      self->tried_.push_back(self->backend_.get());
      self->conn_.reset();
      bool untried = false;
      if (self->attempts_ < kMaxAttempts) {
        auto& f = self->split_->fleets[self->fleet_];
        for (auto& b : f.backends)
          if (std::find(self->tried_.begin(), self->tried_.end(), b.get()) == self->tried_.end()) untried = true;
      }
      if (untried && self->pickBackend()) {
        ++self->attempts_;
        MonoTime t = self->plane_.clock().monotonic();
        self->conn_ = self->backend_->takeIdle(t, self->idempotent_ ? self->plane_.options().poolIdle
                                                                  : self->plane_.options().freshForUnsafe);
        if (self->conn_) {
          self->reused_ = true;
          self->sendRequest();
        } else {
          self->connectFresh();
        }
        return;
      }
      // No instance of the chosen fleet took the connection and nothing was
      // sent: the stable fleet serves the request instead (any method).
      if (self->fallBackToStable()) return;
      bool timeout = self->timedOut_;
      self->upstreamFailed("cannot connect to " + self->backend_->address() + ": " +
                               (timeout ? std::string("timed out") : ec.message()),
                           false, timeout);
      return;
    }
    self->backend_->markUp();
    boost::system::error_code ignored;
    self->conn_->socket.set_option(tcp::no_delay(true), ignored);
    self->sendRequest();
  });
}

void ClientSession::sendRequest() {
  phase_ = Phase::kUpstream;
  timedOut_ = false;
  deadline_ = plane_.clock().monotonic() + plane_.options().responseTimeout;
  std::string_view all = in_.view();
  std::array<asio::const_buffer, 2> bufs{asio::buffer(reqHead_),
                                         asio::buffer(all.data() + headBytes_, requestBytes_ - headBytes_)};
  asio::async_write(conn_->socket, bufs, [self = shared_from_this()](boost::system::error_code ec, size_t) {
    if (self->phase_ == Phase::kClosed) return;
    if (ec) {
      self->upstreamFailed("write to " + self->backend_->address() + " failed: " + ec.message(), true,
                           self->timedOut_);
      return;
    }
    self->up_.clear();
    self->respParser_.reset();
    self->readResponse();
  });
}

void ClientSession::readResponse() {
  phase_ = Phase::kResponse;
  char* p = up_.prepare(4096);
  conn_->socket.async_read_some(asio::buffer(p, up_.writable()), [self = shared_from_this()](
                                                                      boost::system::error_code ec, size_t n) {
    if (self->phase_ == Phase::kClosed) return;
    if (ec) {
      self->upstreamFailed("reading the response from " + self->backend_->address() + ": " + ec.message(), true,
                           self->timedOut_);
      return;
    }
    self->up_.commit(n);
    while (true) {
      auto st = self->respParser_.parse(self->up_.view(), self->isHead_);
      if (st == HttpResponseParser::State::kNeedMore) {
        self->readResponse();
        return;
      }
      if (st == HttpResponseParser::State::kError) {
        self->releaseUpstream(false);
        self->reply(502, "Bad Gateway", "invalid response from " + self->backend_->address() + ": " +
                                            self->respParser_.error(), !self->clientKeepAlive_);
        return;
      }
      int s = self->respParser_.head().status;
      if (s >= 100 && s < 200 && s != 101) {
        // Interim responses (100 Continue was answered by the router) are dropped.
        self->up_.consume(self->respParser_.head().headBytes);
        self->respParser_.reset();
        self->status_ = -1;  // bytes were received: no retry any more
        if (self->up_.empty()) {
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

void ClientSession::upstreamFailed(const std::string& why, bool afterSend, bool timeout) {
  releaseUpstream(false);
  bool noResponseByte = up_.empty() && status_ != -1;
  if (!timeout && afterSend && noResponseByte && idempotent_ && attempts_ < kMaxAttempts) {
    tried_.push_back(backend_.get());
    if (pickBackend()) {
      ++attempts_;
      connectFresh();
      return;
    }
  }
  status_ = 0;
  if (responseStarted_) {
    closeClient();
    return;
  }
  reply(timeout ? 504 : 502, timeout ? "Gateway Timeout" : "Bad Gateway", why, !clientKeepAlive_);
}

void ClientSession::onResponseHead() {
  const ResponseHead& h = respParser_.head();
  status_ = h.status;
  if (status_ == 101) {
    releaseUpstream(false);
    reply(502, "Bad Gateway", "backend switched protocols; upgrades are not supported", true);
    return;
  }
  respFraming_ = h.framing;
  respRemaining_ = h.contentLength;
  upstreamKeepAlive_ = h.keepAlive;
  if (h.framing == ResponseHead::Framing::kUntilClose) clientKeepAlive_ = false;
  if (clientHttp10_ && h.framing == ResponseHead::Framing::kChunked) clientKeepAlive_ = false;
  if (plane_.stopping()) clientKeepAlive_ = false;

  std::string_view all = up_.view();
  respHead_.clear();
  respHead_.append(all.substr(0, all.find("\r\n") + 2));
  connectionTokens(h.headers, tokensScratch);
  for (const auto& [n, v] : h.headers) {
    if (isHopByHop(n) || listed(tokensScratch, n)) continue;
    respHead_.append(n).append(": ").append(v).append("\r\n");
  }
  if (!clientKeepAlive_) {
    respHead_.append("Connection: close\r\n");
  } else if (clientHttp10_) {
    respHead_.append("Connection: keep-alive\r\n");
  }
  respHead_.append("\r\n");
  up_.consume(h.headBytes);
  respChunks_.reset();
  responseStarted_ = false;
  relay(0);
}

// Sends the body bytes now in up_ (after the head, on the first call).
void ClientSession::relay(size_t) {
  size_t n = 0;
  bool done = false;
  switch (respFraming_) {
    case ResponseHead::Framing::kNone:
      done = true;
      break;
    case ResponseHead::Framing::kLength:
      n = static_cast<size_t>(std::min<uint64_t>(up_.size(), respRemaining_));
      respRemaining_ -= n;
      done = respRemaining_ == 0;
      break;
    case ResponseHead::Framing::kChunked: {
      auto st = respChunks_.feed(up_.view(), &n);
      if (st == ChunkedBodyScanner::State::kError) {
        releaseUpstream(false);
        if (!responseStarted_) {
          reply(502, "Bad Gateway", "invalid chunked response from " + backend_->address(), true);
        } else {
          closeClient();
        }
        return;
      }
      done = st == ChunkedBodyScanner::State::kDone;
      break;
    }
    case ResponseHead::Framing::kUntilClose:
      n = up_.size();
      break;
  }
  writeToClient(n, done);
}

void ClientSession::writeToClient(size_t n, bool done) {
  auto readMoreUpstream = [this] {
    phase_ = Phase::kResponse;
    deadline_ = plane_.clock().monotonic() + plane_.options().responseTimeout;
    char* p = up_.prepare(16 * 1024);
    conn_->socket.async_read_some(asio::buffer(p, up_.writable()), [self = shared_from_this()](
                                                                        boost::system::error_code ec, size_t m) {
      if (self->phase_ == Phase::kClosed) return;
      if (ec) {
        if (ec == asio::error::eof && self->respFraming_ == ResponseHead::Framing::kUntilClose) {
          self->finishExchange(false);
        } else {
          self->releaseUpstream(false);
          self->closeClient();
        }
        return;
      }
      self->up_.commit(m);
      self->relay(0);
    });
  };
  if (n == 0 && !done && responseStarted_) {
    readMoreUpstream();
    return;
  }
  phase_ = Phase::kRelay;
  deadline_ = plane_.clock().monotonic() + plane_.options().clientWrite;
  std::array<asio::const_buffer, 2> bufs{
      responseStarted_ ? asio::const_buffer() : asio::buffer(respHead_),
      asio::buffer(up_.view().data(), n)};
  asio::async_write(client_, bufs, [self = shared_from_this(), n, done, readMoreUpstream](
                                       boost::system::error_code ec, size_t written) {
    if (self->phase_ == Phase::kClosed) return;
    if (ec) {
      self->releaseUpstream(false);
      self->closeClient();
      return;
    }
    self->responseStarted_ = true;
    self->bytesOut_ += written;
    self->up_.consume(n);
    if (done) {
      self->finishExchange(self->upstreamKeepAlive_ && self->up_.empty());
    } else {
      readMoreUpstream();
    }
  });
}

void ClientSession::releaseUpstream(bool reusable) {
  if (!conn_) return;
  if (reusable && backend_) {
    ++conn_->requestsServed;
    backend_->putIdle(std::move(conn_), plane_.clock().monotonic());
  } else {
    boost::system::error_code ec;
    conn_->socket.close(ec);
    conn_.reset();
  }
}

bool ClientSession::fallBackToStable() {
  int stable = split_ ? split_->stableFleet : -1;
  if (stable < 0 || stable == fleet_ || fellBack_ || split_->fleets[stable].backends.empty()) return false;
  // The chosen fleet failed this request: counted once, as its error (no
  // latency: it never answered), and never shown to the user.
  if (inflightHeld_ && counters_) {
    auto& c = *counters_;
    ++c.requests;
    ++c.upstreamErrors;
    ++c.fallbacks;
    --c.inflight;
    inflightHeld_ = false;
  }
  fellBack_ = true;
  fleet_ = stable;
  counters_ = split_->fleets[stable].counters;
  ++counters_->inflight;
  inflightHeld_ = true;
  started_ = plane_.clock().monotonic();
  conn_.reset();
  dispatch();
  return true;
}

void ClientSession::account(int status, bool upstreamError) {
  if (!inflightHeld_ || !counters_) return;
  auto& c = *counters_;
  ++c.requests;
  // A failed request counts once: the router's own 502/503/504 are upstream
  // errors, not a status class.
  if (upstreamError) {
    ++c.upstreamErrors;
  } else if (status > 0) {
    c.recordStatus(status);
  }
  c.bytesOut += bytesOut_;
  auto elapsed = plane_.clock().monotonic() - started_;
  c.latency.record(std::chrono::duration<double, std::milli>(elapsed).count());
  --c.inflight;
  inflightHeld_ = false;
}

void ClientSession::finishExchange(bool upstreamReusable) {
  releaseUpstream(upstreamReusable);
  account(status_, false);
  counters_.reset();
  backend_.reset();
  split_.reset();
  in_.consume(requestBytes_);
  in_.shrink();
  up_.clear();
  up_.shrink();
  parser_.reset();
  status_ = 0;
  bytesOut_ = 0;
  responseStarted_ = false;
  deadline_ = MonoTime{};
  if (!clientKeepAlive_ || plane_.stopping()) {
    closeClient();
    return;
  }
  readRequest();
}

void ClientSession::reply(int status, const std::string& reason, const std::string& detail, bool close) {
  if (!clientKeepAlive_) close = true;
  bool upstreamError = status == 502 || status == 503 || status == 504;
  replyText_ = "HTTP/1.1 " + std::to_string(status) + " " + reason +
               "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " + std::to_string(detail.size() + 1) +
               (close ? "\r\nConnection: close" : "") + "\r\n\r\n" + detail + "\n";
  status_ = status;
  phase_ = Phase::kReply;
  deadline_ = plane_.clock().monotonic() + plane_.options().clientWrite;
  asio::async_write(client_, asio::buffer(replyText_), [self = shared_from_this(), close, upstreamError, status](
                                                           boost::system::error_code ec, size_t written) {
    if (self->phase_ == Phase::kClosed) return;
    self->bytesOut_ += written;
    self->account(status, upstreamError);
    if (ec || close) {
      // Lingering close: stop sending, let the client read the answer.
      boost::system::error_code ignored;
      self->client_.shutdown(tcp::socket::shutdown_send, ignored);
      self->phase_ = Phase::kHead;
      self->deadline_ = self->plane_.clock().monotonic() + std::chrono::milliseconds(1000);
      self->in_.clear();
      auto drain = std::make_shared<std::function<void()>>();
      *drain = [self, drain] {
        char* p = self->in_.prepare(4096);
        self->client_.async_read_some(asio::buffer(p, self->in_.writable()),
                                      [self, drain](boost::system::error_code e, size_t) {
                                        if (self->phase_ == Phase::kClosed) {
                                          *drain = nullptr;
                                          return;
                                        }
                                        self->in_.clear();
                                        if (e) {
                                          self->closeClient();
                                          *drain = nullptr;
                                          return;
                                        }
                                        (*drain)();
                                      });
      };
      (*drain)();
      return;
    }
    self->status_ = 0;
    self->clientKeepAlive_ = true;
    self->finishExchange(false);
  });
}

void ClientSession::closeClient() {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  releaseUpstream(false);
  account(status_ > 0 ? status_ : 0, false);
  boost::system::error_code ec;
  client_.close(ec);
}

}  // namespace ramp::router
