#include "server/ApiServer.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/asio/ssl.hpp>

#include <sys/socket.h>
#include <sys/time.h>

#include <list>
#include <mutex>
#include <optional>

#include "server/HttpError.h"

namespace ramp::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using nlohmann::json;

namespace {

constexpr size_t kMaxBody = 1 << 20;

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

std::string urlDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      int a = hex(s[i + 1]), b = hex(s[i + 2]);
      if (a >= 0 && b >= 0) {
        out.push_back(static_cast<char>(a * 16 + b));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i] == '+' ? ' ' : s[i]);
  }
  return out;
}

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

struct ApiServer::Impl {
  Authenticator auth;
  std::vector<Route> routes;
  std::unique_ptr<ssl::context> tls;  // set when serving HTTPS
  asio::io_context io;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::thread acceptThread;
  std::atomic<bool> stopping{false};
  struct Connection {
    std::shared_ptr<tcp::socket> socket;
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::mutex connMu;
  std::list<Connection> connections;

  // Joins the threads of connections that have ended (so a long-running
  // controller does not accumulate them).
  void reap() {
    std::lock_guard lock(connMu);
    for (auto it = connections.begin(); it != connections.end();) {
      if (it->done->load()) {
        if (it->thread.joinable()) it->thread.join();
        it = connections.erase(it);
      } else {
        ++it;
      }
    }
  }

  void serve(std::shared_ptr<tcp::socket> sock);
  template <class Stream>
  void serveOn(Stream& stream, tcp::socket& raw);
  http::response<http::string_body> dispatch(http::request<http::string_body>& req,
                                             const StreamWriter& rawWrite, bool& streamed);
};

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
  impl_->acceptor = std::make_unique<tcp::acceptor>(impl_->io);
  tcp::endpoint ep(addr, static_cast<unsigned short>(port));
  impl_->acceptor->open(ep.protocol(), ec);
  if (!ec) impl_->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor->bind(ep, ec);
  if (!ec) impl_->acceptor->listen(128, ec);
  if (ec) return unavailable("cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  auto local = impl_->acceptor->local_endpoint();
  std::string address = local.address().to_string() + ":" + std::to_string(local.port());
  if (local.address().is_v6()) address = "[" + local.address().to_string() + "]:" + std::to_string(local.port());
  impl_->acceptThread = std::thread([impl = impl_.get()] {
    while (!impl->stopping) {
      auto sock = std::make_shared<tcp::socket>(impl->io);
      boost::system::error_code aec;
      impl->acceptor->accept(*sock, aec);
      if (aec) {
        if (impl->stopping) break;
        continue;
      }
      impl->reap();
      std::lock_guard lock(impl->connMu);
      auto done = std::make_shared<std::atomic<bool>>(false);
      impl->connections.push_back(Impl::Connection{sock, std::thread([impl, sock, done] {
                                                     impl->serve(sock);
                                                     *done = true;
                                                   }),
                                                   done});
    }
  });
  return address;
}

void ApiServer::stop() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  boost::system::error_code ec;
  if (impl_->acceptor) {
    // shutdown() wakes a thread blocked in accept(); close() alone does not.
    ::shutdown(impl_->acceptor->native_handle(), SHUT_RDWR);
  }
  if (impl_->acceptThread.joinable()) impl_->acceptThread.join();
  if (impl_->acceptor) impl_->acceptor->close(ec);
  std::list<Impl::Connection> conns;
  {
    std::lock_guard lock(impl_->connMu);
    for (auto& c : impl_->connections) ::shutdown(c.socket->native_handle(), SHUT_RDWR);
    conns.swap(impl_->connections);
  }
  for (auto& c : conns) {
    if (c.thread.joinable()) c.thread.join();
  }
}

void ApiServer::Impl::serve(std::shared_ptr<tcp::socket> sock) {
  boost::system::error_code ec;
  if (tls) {
    // A handshake that does not complete in 10 s (or a plain-HTTP client)
    // ends the connection.
    timeval tv{10, 0};
    setsockopt(sock->native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssl::stream<tcp::socket&> stream(*sock, *tls);
    stream.handshake(ssl::stream_base::server, ec);
    timeval none{0, 0};
    setsockopt(sock->native_handle(), SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
    if (!ec) {
      serveOn(stream, *sock);
      stream.shutdown(ec);
    }
  } else {
    serveOn(*sock, *sock);
  }
  sock->shutdown(tcp::socket::shutdown_both, ec);
  sock->close(ec);
}

template <class Stream>
void ApiServer::Impl::serveOn(Stream& stream, tcp::socket& raw) {
  StreamWriter rawWrite = [&stream](const std::string& chunk) {
    boost::system::error_code wec;
    asio::write(stream, asio::buffer(chunk), wec);
    return !wec;
  };
  beast::flat_buffer buffer;
  for (int requests = 0; requests < 100000 && !stopping; ++requests) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kMaxBody);
    parser.header_limit(16 * 1024);
    boost::system::error_code ec;
    http::read(stream, buffer, parser, ec);
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset) break;
    if (ec) {
      bool tooLarge = ec == http::error::body_limit;
      http::response<http::string_body> res;
      res.result(tooLarge ? http::status::payload_too_large : http::status::bad_request);
      res.set(http::field::content_type, "application/json");
      res.body() = errorBody(Error{ErrorCode::kInvalid,
                                   tooLarge ? "request body larger than 1 MiB"
                                            : "malformed HTTP request: " + ec.message(),
                                   tooLarge ? "body" : "request"})
                       .dump();
      res.keep_alive(false);
      res.prepare_payload();
      http::write(stream, res, ec);
      // Let the client read the answer: stop sending, then discard what it
      // still sends (bounded: 16 MiB or 2 s), so that closing with unread
      // data does not reset the connection under the answer.
      raw.shutdown(tcp::socket::shutdown_send, ec);
      timeval tv{0, 200000};
      setsockopt(raw.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      char sinkBuf[16384];
      size_t drained = 0;
      for (int i = 0; i < 1024 && drained < (16u << 20); ++i) {
        ssize_t n = ::recv(raw.native_handle(), sinkBuf, sizeof sinkBuf, 0);
        if (n <= 0) break;
        drained += static_cast<size_t>(n);
      }
      break;
    }
    auto req = parser.release();
    bool streamed = false;
    auto res = dispatch(req, rawWrite, streamed);
    if (streamed) break;
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    http::write(stream, res, ec);
    if (ec || !req.keep_alive()) break;
  }
}

http::response<http::string_body> ApiServer::Impl::dispatch(http::request<http::string_body>& req,
                                                            const StreamWriter& rawWrite, bool& streamed) {
  http::response<http::string_body> res;
  res.version(11);
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  auto fail = [&](const Error& e) {
    res.result(static_cast<http::status>(httpStatusFor(e.code)));
    res.body() = errorBody(e).dump();
    return res;
  };

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
    streamed = true;
    std::string head =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
        "Connection: close\r\n\r\n";
    if (!rawWrite(head)) return res;
    match->streamHandler(ar, rawWrite, stopping);
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

}  // namespace ramp::server
