#include "server/ApiServer.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <charconv>
#include <list>
#include <mutex>
#include <optional>

#include "core/PercentDecoding.h"
#include "server/HttpError.h"

namespace ramp::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using nlohmann::json;

namespace {

using namespace std::chrono_literals;

// Every limit of the API (docs/controller.md "Limits and timeouts").
constexpr size_t kMaxBody = 1 << 20;                   // request body
constexpr size_t kMaxHeader = 16 * 1024;               // request line + headers
constexpr int kMaxJsonDepth = 64;                      // nesting of a JSON body
constexpr int kMaxConnections = 10000;                 // open at once; more are answered 503 and closed
constexpr int kIoThreads = 2;                          // socket I/O (all connections, asynchronous)
constexpr int kHandlerThreads = 16;                    // route handlers at once (blocking: store, providers)
constexpr int kMaxStreams = 64;                        // /events/stream connections at once (a thread each)
constexpr auto kHandshakeTimeout = 10s;                // TLS handshake
constexpr auto kRequestTimeout = 10s;                  // one whole request (headers + body), or idle keep-alive
constexpr auto kWriteTimeout = 10s;                    // one whole response
constexpr auto kDrainTimeout = 2s;                     // reading what a refused client still sends
constexpr size_t kMaxDrain = 16u << 20;
constexpr int kMaxRequestsPerConnection = 100000;

// Nesting depth of a JSON text ([ and { outside strings), counted without
// parsing it; stops counting past kMaxJsonDepth + 1.
int jsonDepth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool inString = false, escaped = false;
  for (char c : text) {
    if (inString) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') inString = false;
      continue;
    }
    if (c == '"') inString = true;
    else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > kMaxJsonDepth) return deepest;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

struct Route {
  std::string method;
  std::vector<std::string> segments;
  ApiServer::Handler handler;
  ApiServer::StreamHandler streamHandler;
  Access access;
  std::string pattern;
};

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

// Query strings and path segments: %XX escapes, and '+' as a space.
std::string urlDecode(std::string_view s) { return percentDecode(s, PlusSign::kSpace); }

// A server TLS context (TLS 1.2 or newer) from PEM files, or why not.
Result<std::unique_ptr<ssl::context>> makeTlsContext(const ApiServer::Tls& tls) {
  if (tls.certFile.empty() != tls.keyFile.empty()) {
    return invalid("HTTPS needs both a certificate and a key", tls.certFile.empty() ? "--tls-cert" : "--tls-key");
  }
  boost::system::error_code ec;
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  ctx->use_certificate_chain_file(tls.certFile, ec);
  if (ec) return invalid("cannot load the TLS certificate " + tls.certFile + ": " + ec.message(), "--tls-cert");
  ctx->use_private_key_file(tls.keyFile, ssl::context::pem, ec);
  if (ec) return invalid("cannot load the TLS key " + tls.keyFile + ": " + ec.message(), "--tls-key");
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return invalid("the TLS key " + tls.keyFile + " does not match the certificate " + tls.certFile, "--tls-key");
  }
  return ctx;
}

}  // namespace

// On every answer (the dashboard's pages and the API alike): no framing,
// no MIME sniffing, no referrer, and a policy that lets a page load only
// the controller's own scripts, styles and API (inline style attributes are
// the dashboard's bars and legends).
static void setSecurityHeaders(http::response<http::string_body>& res) {
  res.set("X-Content-Type-Options", "nosniff");
  res.set("X-Frame-Options", "DENY");
  res.set("Referrer-Policy", "no-referrer");
  res.set("Content-Security-Policy",
          "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
          "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
}

struct ApiServer::Impl {
  // Declared in the order they must outlive each other: sessions destroyed
  // with `io` still use the counters and the TLS context.
  Authenticator auth;
  std::vector<Route> routes;
  std::unique_ptr<ssl::context> tls;  // set when serving HTTPS
  std::atomic<bool> stopping{false};
  std::atomic<int> connections{0};
  std::atomic<int> streams{0};
  std::mutex streamMu;
  std::list<std::pair<std::thread, std::shared_ptr<std::atomic<bool>>>> streamThreads;
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::vector<std::thread> ioThreads;
  std::unique_ptr<asio::thread_pool> handlers;

  // A stream route matched by dispatch: served on its own thread.
  struct PendingStream {
    const Route* route = nullptr;
    ApiRequest request;
  };

  // One connection (defined below).
  template <class Stream>
  class Session;

  void accept();
  http::response<http::string_body> dispatch(http::request<http::string_body>& req, PendingStream& stream);
  // Runs `body` on a thread of its own if fewer than kMaxStreams run.
  bool startStream(std::function<void()> body);
  void reapStreams();
};

namespace {

http::response<http::string_body> errorResponse(http::status status, const Error& e) {
  http::response<http::string_body> res;
  res.version(11);
  setSecurityHeaders(res);
  res.result(status);
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  res.body() = errorBody(e).dump();
  res.keep_alive(false);
  res.prepare_payload();
  return res;
}

}  // namespace

// One connection: reads requests asynchronously (on the I/O threads, with a
// deadline for each), runs each on the handler pool, writes the answer
// asynchronously. No thread is held while a client is slow.
template <class Stream>
class ApiServer::Impl::Session : public std::enable_shared_from_this<ApiServer::Impl::Session<Stream>> {
 public:
  Session(ApiServer::Impl& impl, Stream stream) : impl_(impl), stream_(std::move(stream)) {}
  ~Session() { --impl_.connections; }

  void start() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      read();
    } else {
      beast::get_lowest_layer(stream_).expires_after(kHandshakeTimeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->close();
                                self->read();
                              });
    }
  }

 private:
  void read() {
    if (impl_.stopping || ++requests_ > kMaxRequestsPerConnection) return close();
    parser_.emplace();
    parser_->body_limit(kMaxBody);
    parser_->header_limit(kMaxHeader);
    beast::get_lowest_layer(stream_).expires_after(kRequestTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
  }

  void onRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
        ec == asio::error::operation_aborted || impl_.stopping) {
      return close();
    }
    if (ec == beast::error::timeout) {
      // An idle keep-alive connection just ends; a request that did not
      // arrive in time is answered 408.
      if (!parser_->got_some()) return close();
      return refuse(errorResponse(http::status::request_timeout,
                                  Error{ErrorCode::kInvalid,
                                        "the request did not arrive within " +
                                            std::to_string(std::chrono::seconds(kRequestTimeout).count()) + " s",
                                        "request"}));
    }
    if (ec) {
      bool tooLarge = ec == http::error::body_limit;
      return refuse(errorResponse(
          tooLarge ? http::status::payload_too_large : http::status::bad_request,
          Error{ErrorCode::kInvalid, tooLarge ? "request body larger than 1 MiB" : "malformed HTTP request: " + ec.message(),
                tooLarge ? "body" : "request"}));
    }
    beast::get_lowest_layer(stream_).expires_never();
    auto req = std::make_shared<http::request<http::string_body>>(parser_->release());
    asio::post(*impl_.handlers, [self = this->shared_from_this(), req] { self->handle(*req); });
  }

  // On a handler thread.
  void handle(http::request<http::string_body>& req) {
    ApiServer::Impl::PendingStream pending;
    auto res = std::make_shared<http::response<http::string_body>>(impl_.dispatch(req, pending));
    if (pending.route) {
      auto self = this->shared_from_this();
      auto started = impl_.startStream([self, pending = std::move(pending)]() mutable { self->serveStream(pending); });
      if (!started) {
        auto busy = std::make_shared<http::response<http::string_body>>(errorResponse(
            http::status::service_unavailable,
            Error{ErrorCode::kUnavailable,
                  "too many event streams open (" + std::to_string(kMaxStreams) + "); retry later", "request"}));
        asio::post(stream_.get_executor(), [self, busy] { self->write(busy, false); });
      }
      return;
    }
    bool keepAlive = req.keep_alive();
    res->keep_alive(keepAlive);
    res->prepare_payload();
    asio::post(stream_.get_executor(), [self = this->shared_from_this(), res, keepAlive] { self->write(res, keepAlive); });
  }

  // On a stream thread: the connection is handed over for good (no async
  // operation is pending on it); writes are blocking, bounded by SO_SNDTIMEO.
  void serveStream(ApiServer::Impl::PendingStream& pending) {
    auto& sock = beast::get_lowest_layer(stream_).socket();
    timeval tv{10, 0};
    setsockopt(sock.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    StreamWriter rawWrite = [this](const std::string& chunk) {
      boost::system::error_code wec;
      asio::write(stream_, asio::buffer(chunk), wec);
      return !wec;
    };
    std::string head =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
        "Connection: close\r\n\r\n";
    if (rawWrite(head)) pending.route->streamHandler(pending.request, rawWrite, impl_.stopping);
    boost::system::error_code ec;
    sock.shutdown(tcp::socket::shutdown_both, ec);
    sock.close(ec);
  }

  void write(std::shared_ptr<http::response<http::string_body>> res, bool keepAlive) {
    beast::get_lowest_layer(stream_).expires_after(kWriteTimeout);
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res, keepAlive](beast::error_code ec, std::size_t) {
                        if (ec || !keepAlive) return self->close();
                        self->read();
                      });
  }

  // Answers, stops sending, then discards what the client still sends
  // (bounded: kMaxDrain or kDrainTimeout) so that closing with unread data
  // does not reset the connection under the answer.
  void refuse(http::response<http::string_body> response) {
    auto res = std::make_shared<http::response<http::string_body>>(std::move(response));
    beast::get_lowest_layer(stream_).expires_after(kWriteTimeout);
    http::async_write(stream_, *res, [self = this->shared_from_this(), res](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      beast::error_code sec;
      beast::get_lowest_layer(self->stream_).socket().shutdown(tcp::socket::shutdown_send, sec);
      beast::get_lowest_layer(self->stream_).expires_after(kDrainTimeout);
      self->drain();
    });
  }

  void drain() {
    if (!sink_) sink_ = std::make_unique<std::array<char, 16384>>();
    beast::get_lowest_layer(stream_).async_read_some(
        asio::buffer(*sink_), [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
          self->drained_ += n;
          if (ec || self->drained_ >= kMaxDrain) return self->close();
          self->drain();
        });
  }

  void close() {
    beast::error_code ec;
    auto& sock = beast::get_lowest_layer(stream_).socket();
    sock.shutdown(tcp::socket::shutdown_both, ec);
    sock.close(ec);
  }

  ApiServer::Impl& impl_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  int requests_ = 0;
  std::unique_ptr<std::array<char, 16384>> sink_;  // only while draining a refused client
  size_t drained_ = 0;
};

bool ApiServer::Impl::startStream(std::function<void()> body) {
  reapStreams();
  if (++streams > kMaxStreams) {
    --streams;
    return false;
  }
  std::lock_guard lock(streamMu);
  auto done = std::make_shared<std::atomic<bool>>(false);
  streamThreads.emplace_back(std::thread([this, body = std::move(body), done] {
                               body();
                               --streams;
                               *done = true;
                             }),
                             done);
  return true;
}

void ApiServer::Impl::reapStreams() {
  std::lock_guard lock(streamMu);
  for (auto it = streamThreads.begin(); it != streamThreads.end();) {
    if (it->second->load()) {
      if (it->first.joinable()) it->first.join();
      it = streamThreads.erase(it);
    } else {
      ++it;
    }
  }
}

void ApiServer::Impl::accept() {
  acceptor->async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
    if (stopping) return;
    if (!ec) {
      if (connections.load() >= kMaxConnections) {
        // Over the limit: a short answer, written at once, and closed.
        static const std::string kBusy =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
            "Content-Length: 96\r\n\r\n"
            "{\"error\":{\"code\":\"unavailable\",\"field\":\"request\",\"message\":\"too many connections; retry later\"}}";
        boost::system::error_code wec;
        socket.non_blocking(true, wec);
        socket.send(asio::buffer(kBusy), 0, wec);
        socket.close(wec);
      } else {
        ++connections;
        beast::tcp_stream stream(std::move(socket));
        if (tls) {
          std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
              *this, beast::ssl_stream<beast::tcp_stream>(std::move(stream), *tls))
              ->start();
        } else {
          std::make_shared<Session<beast::tcp_stream>>(*this, std::move(stream))->start();
        }
      }
    }
    accept();
  });
}

ApiServer::ApiServer(Authenticator auth) : impl_(std::make_unique<Impl>()) {
  impl_->auth = std::move(auth);
}

ApiServer::~ApiServer() { stop(); }

void ApiServer::route(const std::string& method, const std::string& pattern, Access access, Handler h) {
  impl_->routes.push_back(Route{method, splitPath(pattern), std::move(h), nullptr, std::move(access), pattern});
}

void ApiServer::stream(const std::string& pattern, Access access, StreamHandler h) {
  impl_->routes.push_back(Route{"GET", splitPath(pattern), nullptr, std::move(h), std::move(access), pattern});
}

void ApiServer::publicRoute(const std::string& method, const std::string& pattern, Handler h) {
  route(method, pattern, Access::open(), std::move(h));
}

Status ApiServer::checkTls(const Tls& tls) {
  if (tls.certFile.empty() && tls.keyFile.empty()) return ok();
  auto ctx = makeTlsContext(tls);
  if (!ctx) return std::unexpected(ctx.error());
  return ok();
}

std::vector<std::array<std::string, 3>> ApiServer::routes() const {
  std::vector<std::array<std::string, 3>> out;
  for (const auto& r : impl_->routes) out.push_back({r.method, r.pattern, r.access.summary()});
  return out;
}

Result<std::string> ApiServer::start(const std::string& host, int port, const Tls& tls) {
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return invalid("not an IP address: " + host, "--listen");
  if (!tls.certFile.empty() || !tls.keyFile.empty()) {
    auto ctx = makeTlsContext(tls);
    if (!ctx) return std::unexpected(ctx.error());
    impl_->tls = std::move(*ctx);
  }
  // Room for kMaxConnections sockets (the soft limit is often 1024).
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < static_cast<rlim_t>(kMaxConnections + 1024)) {
    lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, kMaxConnections + 1024);
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  impl_->acceptor = std::make_unique<tcp::acceptor>(impl_->io);
  tcp::endpoint ep(addr, static_cast<unsigned short>(port));
  impl_->acceptor->open(ep.protocol(), ec);
  if (!ec) impl_->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor->bind(ep, ec);
  if (!ec) impl_->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return unavailable("cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  auto local = impl_->acceptor->local_endpoint();
  std::string address = local.address().to_string() + ":" + std::to_string(local.port());
  if (local.address().is_v6()) address = "[" + local.address().to_string() + "]:" + std::to_string(local.port());
  impl_->handlers = std::make_unique<asio::thread_pool>(kHandlerThreads);
  impl_->work.emplace(impl_->io.get_executor());
  impl_->accept();
  for (int i = 0; i < kIoThreads; ++i) {
    impl_->ioThreads.emplace_back([impl = impl_.get()] { impl->io.run(); });
  }
  return address;
}

void ApiServer::stop() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  boost::system::error_code ec;
  if (impl_->acceptor) {
    asio::post(impl_->io, [impl = impl_.get()] {
      boost::system::error_code cec;
      impl->acceptor->close(cec);
    });
  }
  if (impl_->handlers) {
    impl_->handlers->stop();  // queued requests are dropped; running ones finish
    impl_->handlers->join();
  }
  // Event streams see `stopping` within their poll interval.
  {
    std::list<std::pair<std::thread, std::shared_ptr<std::atomic<bool>>>> threads;
    {
      std::lock_guard lock(impl_->streamMu);
      threads.swap(impl_->streamThreads);
    }
    for (auto& t : threads) {
      if (t.first.joinable()) t.first.join();
    }
  }
  impl_->work.reset();
  impl_->io.stop();
  for (auto& t : impl_->ioThreads) {
    if (t.joinable()) t.join();
  }
  impl_->ioThreads.clear();
}

http::response<http::string_body> ApiServer::Impl::dispatch(http::request<http::string_body>& req,
                                                            PendingStream& stream) {
  http::response<http::string_body> res;
  res.version(11);
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  setSecurityHeaders(res);
  auto fail = [&](const Error& e) {
    res.result(static_cast<http::status>(httpStatusFor(e.code)));
    res.body() = errorBody(e).dump();
    return res;
  };

  // HTTP/1.1 requires Host (RFC 9112 3.2).
  if (req.version() >= 11 && req.find(http::field::host) == req.end()) {
    return fail(Error{ErrorCode::kInvalid, "an HTTP/1.1 request needs a Host header", "Host"});
  }
  std::string target(req.target());
  std::string path = target, queryString;
  if (auto q = target.find('?'); q != std::string::npos) {
    path = target.substr(0, q);
    queryString = target.substr(q + 1);
  }
  ApiRequest ar;
  ar.method = std::string(req.method_string());
  ar.path = path;
  ar.target = target;
  size_t i = 0;
  while (i < queryString.size()) {
    size_t amp = queryString.find('&', i);
    if (amp == std::string::npos) amp = queryString.size();
    std::string kv = queryString.substr(i, amp - i);
    auto eq = kv.find('=');
    if (!kv.empty()) {
      ar.query[urlDecode(kv.substr(0, eq))] = eq == std::string::npos ? "" : urlDecode(kv.substr(eq + 1));
    }
    i = amp + 1;
  }

  auto segs = splitPath(path);
  const Route* match = nullptr;
  bool pathMatched = false;
  for (const auto& r : routes) {
    if (r.segments.size() != segs.size()) continue;
    std::vector<std::string> params;
    bool okMatch = true;
    for (size_t k = 0; k < segs.size(); ++k) {
      const auto& want = r.segments[k];
      if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
        params.push_back(urlDecode(segs[k]));
      } else if (want != segs[k]) {
        okMatch = false;
        break;
      }
    }
    if (!okMatch) continue;
    pathMatched = true;
    if (r.method != ar.method) continue;
    match = &r;
    ar.params = std::move(params);
    break;
  }
  if (!match) {
    if (pathMatched) {
      res.result(http::status::method_not_allowed);
      std::string allowed;
      for (const auto& r : routes) {
        if (r.segments.size() != segs.size()) continue;
        bool same = true;
        for (size_t k = 0; k < segs.size() && same; ++k) {
          const auto& want = r.segments[k];
          same = (want.size() > 2 && want.front() == '{' && want.back() == '}') || want == segs[k];
        }
        if (same) allowed += (allowed.empty() ? "" : ", ") + r.method;
      }
      res.set(http::field::allow, allowed);
      res.body() = errorBody(Error{ErrorCode::kInvalid,
                                   "method " + ar.method + " not allowed on " + path + " (allowed: " + allowed + ")",
                                   "method"})
                       .dump();
      return res;
    }
    return fail(Error{ErrorCode::kNotFound, "no such API endpoint: " + ar.method + " " + path, "path"});
  }

  if (!match->access.isOpen()) {
    std::string authz(req[http::field::authorization]);
    if (authz.empty() && match->streamHandler && ar.query.contains("access_token")) {
      authz = "Bearer " + ar.query.at("access_token");
    }
    if (authz.rfind("Bearer ", 0) != 0) {
      return fail(Error{ErrorCode::kUnauthenticated, "missing bearer token (use --token or RAMP_TOKEN)", "Authorization"});
    }
    auto principal = auth(authz.substr(7));
    if (!principal) return fail(principal.error());
    ar.principal = *principal;
    ar.actor = principal->user;
    ar.token = authz.substr(7);
  }

  if (!req.body().empty()) {
    // Bounded before parsing: the parser recurses once per level.
    if (auto depth = jsonDepth(req.body()); depth > kMaxJsonDepth) {
      return fail(Error{ErrorCode::kInvalid,
                        "request body nests deeper than " + std::to_string(kMaxJsonDepth) + " levels", "body"});
    }
    ar.body = json::parse(req.body(), nullptr, false);
    if (ar.body.is_discarded()) {
      return fail(Error{ErrorCode::kInvalid, "request body is not valid JSON", "body"});
    }
    if (!ar.body.is_object()) return fail(Error{ErrorCode::kInvalid, "request body must be a JSON object", "body"});
  } else {
    ar.body = json::object();
  }

  // Authorization, before the handler: every grant the route needs.
  if (!match->access.isOpen()) {
    auto needs = match->access.needs(ar);
    if (!needs) return fail(needs.error());
    for (const auto& n : *needs) {
      if (ar.principal.has(n.role, n.env)) continue;
      std::string where = n.env == "*" ? "every environment (*)" : n.env.empty() ? "some environment" : "environment " + n.env;
      std::string held;
      for (const auto& [env, rs] : ar.principal.roles)
        for (const auto& role : rs) held += (held.empty() ? "" : ", ") + role + "@" + env;
      json body = errorBody(Error{ErrorCode::kPermissionDenied,
                                  "user " + ar.principal.user + " needs role " + n.role + " in " + where + " for " +
                                      ar.method + " " + ar.path + " (has: " + (held.empty() ? "no roles" : held) + ")",
                                  "Authorization"});
      body["error"]["role"] = n.role;
      body["error"]["env"] = n.env;
      res.result(http::status::forbidden);
      res.body() = body.dump();
      return res;
    }
  }

  if (match->streamHandler) {
    // Served on a thread of its own (ApiServer.h: at most kMaxStreams).
    stream.route = match;
    stream.request = std::move(ar);
    return res;
  }

  Result<ApiResponse> out = [&]() -> Result<ApiResponse> {
    try {
      return match->handler(ar);
    } catch (const std::exception& e) {
      return internal(std::string("unexpected failure: ") + e.what());
    }
  }();
  if (!out) return fail(out.error());
  res.result(static_cast<http::status>(out->status));
  if (!out->contentType.empty()) {
    res.set(http::field::content_type, out->contentType);
    res.body() = std::move(out->text);
  } else {
    res.body() = out->body.dump();
  }
  return res;
}

Result<std::string> requireString(const json& body, const std::string& field) {
  if (!body.contains(field)) return invalid("missing required field", field);
  if (!body[field].is_string()) return invalid("must be a string", field);
  auto s = body[field].get<std::string>();
  if (s.empty()) return invalid("must not be empty", field);
  return s;
}

Result<std::optional<std::string>> optionalString(const json& body, const std::string& field) {
  if (!body.contains(field) || body[field].is_null()) return std::optional<std::string>{};
  if (!body[field].is_string()) return invalid("must be a string", field);
  return std::optional<std::string>(body[field].get<std::string>());
}

Status onlyFields(const json& body, const std::vector<std::string>& allowed) {
  for (auto& [k, v] : body.items()) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      std::string list;
      for (auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return invalid("unknown field (expected one of: " + list + ")", k);
    }
  }
  return ok();
}

Result<int64_t> queryNumber(const ApiRequest& r, const std::string& name, int64_t lo, int64_t hi, int64_t fallback) {
  auto it = r.query.find(name);
  if (it == r.query.end()) return fallback;
  const std::string& text = it->second;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return invalid("must be a whole number, got '" + text + "'", name);
  }
  if (v < lo || v > hi) return invalid("must be between " + std::to_string(lo) + " and " + std::to_string(hi), name);
  return v;
}

}  // namespace ramp::server
