#include "router/AdminClient.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "router/HttpResponseParser.h"

namespace ramp::router {

AdminClient::AdminClient(std::string address, std::string token, Millis timeout)
    : address_(std::move(address)), token_(std::move(token)), timeout_(timeout) {}

namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

int remainingMs(MonoTime deadline) {
  auto left = std::chrono::duration_cast<Millis>(deadline - SystemClock::instance().monotonic()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

}  // namespace

Result<AdminReply> AdminClient::request(std::string_view method, std::string_view path, std::string_view body) const {
  size_t colon = address_.rfind(':');
  if (colon == std::string::npos) return invalid("admin address must be HOST:PORT", address_);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(std::atoi(address_.c_str() + colon + 1)));
  if (::inet_pton(AF_INET, address_.substr(0, colon).c_str(), &sa.sin_addr) != 1)
    return invalid("admin address must be an IPv4 HOST:PORT", address_);
  MonoTime deadline = SystemClock::instance().monotonic() + timeout_;
  Fd s;
  s.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (s.fd < 0) return unavailable(std::string("socket: ") + std::strerror(errno), address_);
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    if (errno != EINPROGRESS) return unavailable(std::string("cannot connect: ") + std::strerror(errno), address_);
    pollfd p{s.fd, POLLOUT, 0};
    if (::poll(&p, 1, remainingMs(deadline)) <= 0) return unavailable("connect timed out", address_);
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return unavailable(std::string("cannot connect: ") + std::strerror(err), address_);
  }
  std::string req = std::string(method) + " " + std::string(path) +
                    " HTTP/1.1\r\nHost: " + address_ + "\r\nAuthorization: Bearer " + token_ +
                    "\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
  size_t off = 0;
  while (off < req.size()) {
    ssize_t n = ::send(s.fd, req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      pollfd p{s.fd, POLLOUT, 0};
      if (::poll(&p, 1, remainingMs(deadline)) <= 0) return unavailable("send timed out", address_);
      continue;
    }
    return unavailable(std::string("send: ") + std::strerror(errno), address_);
  }
  std::string in;
  HttpResponseParser parser;
  bool headDone = false;
  char buf[16384];
  for (int rounds = 0; rounds < 100000; ++rounds) {
    if (!headDone) {
      auto st = parser.parse(in, method == "HEAD");
      if (st == HttpResponseParser::State::kError) return unavailable("bad response: " + parser.error(), address_);
      if (st == HttpResponseParser::State::kDone) headDone = true;
    }
    if (headDone) {
      const auto& h = parser.head();
      size_t have = in.size() - h.headBytes;
      if (h.framing == ResponseHead::Framing::kNone) return AdminReply{h.status, ""};
      if (h.framing == ResponseHead::Framing::kLength && have >= h.contentLength)
        return AdminReply{h.status, in.substr(h.headBytes, h.contentLength)};
    }
    pollfd p{s.fd, POLLIN, 0};
    if (::poll(&p, 1, remainingMs(deadline)) <= 0) return unavailable("response timed out", address_);
    ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) {
      if (headDone && parser.head().framing == ResponseHead::Framing::kUntilClose)
        return AdminReply{parser.head().status, in.substr(parser.head().headBytes)};
      return unavailable("connection closed before the response ended", address_);
    }
    in.append(buf, static_cast<size_t>(n));
    if (in.size() > (64u << 20)) return unavailable("response too large", address_);
  }
  return unavailable("response never ended", address_);
}

Result<nlohmann::json> AdminClient::call(std::string_view method, std::string_view path,
                                         const std::optional<nlohmann::json>& body) const {
  auto r = request(method, path, body ? body->dump() : std::string());
  if (!r) return std::unexpected(r.error());
  nlohmann::json j;
  try {
    j = r->body.empty() ? nlohmann::json::object() : nlohmann::json::parse(r->body);
  } catch (const std::exception& e) {
    return unavailable(std::string("router answered non-JSON: ") + e.what(), std::string(path));
  }
  if (r->status >= 200 && r->status < 300) return j;
  std::string message = "router answered " + std::to_string(r->status);
  std::string where(path);
  if (j.contains("error") && j["error"].is_object()) {
    message = j["error"].value("message", message);
    where = j["error"].value("where", where);
  }
  ErrorCode code = ErrorCode::kInternal;
  switch (r->status) {
    case 400: code = ErrorCode::kInvalid; break;
    case 401: code = ErrorCode::kUnauthenticated; break;
    case 404: code = ErrorCode::kNotFound; break;
    case 409: code = ErrorCode::kConflict; break;
    case 503: code = ErrorCode::kUnavailable; break;
    default: break;
  }
  return fail(code, message, where);
}

}  // namespace ramp::router
