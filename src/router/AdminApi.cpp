#include "router/AdminApi.h"

#include <unistd.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <openssl/crypto.h>

#include "router/ByteBuffer.h"
#include "router/HttpRequestParser.h"
#include "router/HttpSyntax.h"

namespace ramp::router {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using nlohmann::json;

namespace {

constexpr size_t kMaxAdminBody = 1 << 20;

// Invalid UTF-8 (from a request path, say) is replaced, never thrown.
AdminResponse jsonResponse(int status, const json& j) {
  return {status, "application/json", j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"};
}

AdminResponse errorResponse(const Error& e) {
  int status = 500;
  switch (e.code) {
    case ErrorCode::kInvalid: status = 400; break;
    case ErrorCode::kNotFound: status = 404; break;
    case ErrorCode::kConflict: status = 409; break;
    case ErrorCode::kFailedPrecondition: status = 412; break;
    case ErrorCode::kUnauthenticated: status = 401; break;
    case ErrorCode::kPermissionDenied: status = 403; break;
    case ErrorCode::kUnavailable: status = 503; break;
    case ErrorCode::kInternal: status = 500; break;
  }
  return jsonResponse(status, {{"error", {{"code", std::string(errorCodeName(e.code))},
                                          {"message", e.message},
                                          {"where", e.where}}}});
}

std::string reasonFor(int s) {
  switch (s) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

}  // namespace

// One admin connection: strict parse, Content-Length bodies only, keep-alive.
class AdminSession : public std::enable_shared_from_this<AdminSession> {
 public:
  AdminSession(AdminApi& api, tcp::socket s) : api_(api), socket_(std::move(s)), deadline_(socket_.get_executor()) {
    ++api_.sessions_;
  }
  ~AdminSession() { --api_.sessions_; }
  void start() {
    arm();
    read();
  }

 private:
  // The next request (from the end of the previous answer) must arrive
  // whole within kAdminRequestTimeout, else the connection is closed.
  void arm() {
    deadline_.expires_after(kAdminRequestTimeout);
    deadline_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return;  // cancelled: a request arrived, or re-armed
      boost::system::error_code ignored;
      self->socket_.close(ignored);
    });
  }

  void read() {
    // The head's views point into in_, which reading may move: parse afresh.
    parser_.reset();
    auto st = parser_.parse(in_.view());
    if (st == HttpRequestParser::State::kError) {
      respond(jsonResponse(400, {{"error", {{"code", "invalid"}, {"message", parser_.error()}, {"where", "request"}}}}), true);
      return;
    }
    if (st == HttpRequestParser::State::kDone) {
      const auto& h = parser_.head();
      if (h.framing == BodyFraming::kChunked) {
        respond({400, "application/json", R"({"error":{"code":"invalid","message":"chunked bodies are not accepted; send Content-Length","where":"request"}})" "\n"}, true);
        return;
      }
      if (h.contentLength > kMaxAdminBody) {
        respond({413, "application/json", R"({"error":{"code":"invalid","message":"body larger than 1 MiB","where":"body"}})" "\n"}, true);
        return;
      }
      if (in_.size() >= h.headBytes + h.contentLength) {
        std::string_view auth;
        for (const auto& [n, v] : h.headers)
          if (http::iequals(n, "authorization")) auth = v;
        std::string_view all = in_.view();
        AdminResponse r = api_.handle(h.method, h.target, auth, all.substr(h.headBytes, h.contentLength));
        keepAlive_ = h.keepAlive;
        consumed_ = h.headBytes + h.contentLength;
        respond(std::move(r), !keepAlive_);
        return;
      }
    }
    char* p = in_.prepare(4096);
    socket_.async_read_some(asio::buffer(p, in_.writable()), [self = shared_from_this()](boost::system::error_code ec, size_t n) {
      if (ec) return;
      self->in_.commit(n);
      self->read();
    });
  }

  void respond(AdminResponse r, bool close) {
    deadline_.cancel();
    out_ = "HTTP/1.1 " + std::to_string(r.status) + " " + reasonFor(r.status) + "\r\nContent-Type: " + r.contentType +
           "\r\nContent-Length: " + std::to_string(r.body.size()) + (close ? "\r\nConnection: close" : "") +
           "\r\n\r\n" + r.body;
    asio::async_write(socket_, asio::buffer(out_), [self = shared_from_this(), close](boost::system::error_code ec, size_t) {
      if (ec || close) {
        boost::system::error_code ignored;
        self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
        self->socket_.close(ignored);
        return;
      }
      self->in_.consume(self->consumed_);
      self->parser_.reset();
      self->arm();
      self->read();
    });
  }

  AdminApi& api_;
  tcp::socket socket_;
  ByteBuffer in_{4096};
  HttpRequestParser parser_;
  std::string out_;
  bool keepAlive_ = true;
  size_t consumed_ = 0;
  asio::steady_timer deadline_;
};

AdminApi::AdminApi(asio::io_context& io, RouteState& state, std::string token)
    : io_(io), state_(state), token_(std::move(token)), acceptor_(io) {}

Result<int> AdminApi::listen(int port) {
  boost::system::error_code ec;
  tcp::endpoint at(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  acceptor_.open(at.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(at, ec);
  if (!ec) acceptor_.listen(128, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return unavailable("admin API cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + ec.message());
  }
  accept();
  return static_cast<int>(acceptor_.local_endpoint(ec).port());
}

void AdminApi::close() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

void AdminApi::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket s) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec && sessions_ >= kMaxAdminConnections) {
      boost::system::error_code ignored;
      s.close(ignored);  // over the bound: refused at once
    } else if (!ec) {
      std::make_shared<AdminSession>(*this, std::move(s))->start();
    }
    accept();
  });
}

AdminResponse AdminApi::handle(std::string_view method, std::string_view target, std::string_view authorization,
                               std::string_view body) {
  std::string_view path = target.substr(0, target.find('?'));
  if (path == "/healthz") return {200, "text/plain", "ok\n"};
  if (path == "/metrics") {
    if (method != "GET") return errorResponse({ErrorCode::kInvalid, "use GET", "method"});
    return {200, "text/plain; version=0.0.4", state_.prometheus()};
  }
  if (!path.starts_with("/admin/v1/")) return errorResponse({ErrorCode::kNotFound, "no such route", std::string(path)});
  std::string expected = "Bearer " + token_;
  if (authorization.size() != expected.size() ||
      CRYPTO_memcmp(authorization.data(), expected.data(), expected.size()) != 0)
    return jsonResponse(401, {{"error", {{"code", "unauthenticated"},
                                         {"message", "missing or wrong admin token (Authorization: Bearer ...)"},
                                         {"where", "Authorization"}}}});
  std::string_view rest = path.substr(std::string_view("/admin/v1/").size());
  auto methodNotAllowed = [&] {
    return AdminResponse{405, "application/json",
                         json{{"error", {{"code", "invalid"}, {"message", "method not allowed"}, {"where", "method"}}}}.dump() + "\n"};
  };
  auto parseBody = [&](json& out) -> Status {
    try {
      out = json::parse(body);
    } catch (const std::exception& e) {
      return invalid(std::string("not valid JSON: ") + e.what(), "body");
    }
    return ok();
  };
  // A call's answer: 200 with its JSON, or its error.
  auto answer = [](const Result<json>& r) { return r ? jsonResponse(200, *r) : errorResponse(r.error()); };
  // A route that takes a JSON body with `want` and hands it to `call`.
  auto withBody = [&](std::string_view want, auto call) {
    if (method != want) return methodNotAllowed();
    json j;
    if (auto st = parseBody(j); !st) return errorResponse(st.error());
    return answer(call(j));
  };
  if (rest == "ping") return jsonResponse(200, {{"pid", ::getpid()}, {"stats", "ok"}});
  if (rest == "stats") return jsonResponse(200, state_.stats(std::nullopt));
  if (rest == "entrypoints") return jsonResponse(200, state_.list());
  if (rest.starts_with("entrypoints/")) {
    std::string_view tail = rest.substr(std::string_view("entrypoints/").size());
    std::string name(tail.substr(0, tail.find('/')));
    std::string_view sub = tail.find('/') == std::string_view::npos ? "" : tail.substr(tail.find('/') + 1);
    if (auto st = RouteTable::validateName(name); !st) return errorResponse(st.error());
    if (sub.empty()) {
      if (method == "GET") return answer(state_.describe(name));
      if (method == "PUT") {
        json j;
        if (auto st = parseBody(j); !st) return errorResponse(st.error());
        if (!j.is_object()) return errorResponse({ErrorCode::kInvalid, "body must be a JSON object", "body"});
        for (auto& [k, v] : j.items())
          if (k != "port" && k != "limits" && k != "tls") return errorResponse({ErrorCode::kInvalid, "unknown field", k});
        int port = 0;
        if (j.contains("port")) {
          if (!j["port"].is_number_integer()) return errorResponse({ErrorCode::kInvalid, "must be an integer", "port"});
          int64_t p = j["port"].get<int64_t>();
          if (p < 0 || p > 65535) return errorResponse({ErrorCode::kInvalid, "must be 0 (a free port) or 1..65535", "port"});
          port = static_cast<int>(p);
        }
        std::optional<EntrypointLimits> limits;
        if (j.contains("limits")) {
          auto l = EntrypointSettings::parseLimits(j["limits"], "limits");
          if (!l) return errorResponse(l.error());
          limits = *l;
        }
        std::optional<std::optional<TlsSettings>> tls;
        if (j.contains("tls")) {
          auto t = EntrypointSettings::parseTls(j["tls"], "tls");
          if (!t) return errorResponse(t.error());
          tls = *t;
        }
        return answer(state_.ensureEntrypoint(name, port, limits, tls));
      }
      if (method == "DELETE") {
        auto st = state_.remove(name);
        return st ? jsonResponse(200, {{"name", name}, {"deleted", true}}) : errorResponse(st.error());
      }
      return methodNotAllowed();
    }
    if (sub == "split") return withBody("PUT", [&](const json& j) { return state_.setSplit(name, j); });
    if (sub == "lease") return withBody("POST", [&](const json& j) { return state_.renewLease(name, j); });
    if (sub == "stats") {
      if (method != "GET") return methodNotAllowed();
      if (!state_.table().entrypoints.contains(name)) return errorResponse({ErrorCode::kNotFound, "no such entry point", name});
      return jsonResponse(200, state_.stats(name));
    }
  }
  return errorResponse({ErrorCode::kNotFound, "no such route", std::string(path)});
}

}  // namespace ramp::router
