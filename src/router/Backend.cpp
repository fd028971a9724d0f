#include "router/Backend.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstdlib>

#include <boost/asio/ip/address.hpp>

namespace ramp::router {

namespace {
// True when the backend closed the connection or sent something unsolicited.
bool looksDead(UpstreamConnection& c) {
  char b;
  ssize_t n = ::recv(c.socket.native_handle(), &b, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return true;
  if (n > 0) return true;
  return !(errno == EAGAIN || errno == EWOULDBLOCK);
}
void closeQuietly(UpstreamConnection& c) {
  boost::system::error_code ec;
  c.socket.close(ec);
}
}  // namespace

Result<boost::asio::ip::tcp::endpoint> Backend::parseAddress(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return invalid("backend must be host:port", address);
  std::string host = address.substr(0, colon);
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  auto ip = boost::asio::ip::make_address(host, ec);
  if (ec) return invalid("backend host must be an IP address or localhost", address);
  int port = std::atoi(address.c_str() + colon + 1);
  if (port <= 0 || port > 65535) return invalid("backend port out of range", address);
  return boost::asio::ip::tcp::endpoint(ip, static_cast<unsigned short>(port));
}

std::unique_ptr<UpstreamConnection> Backend::takeIdle(MonoTime now, Millis maxIdle, Millis peekAfter) {
  while (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    const auto idle = now - c->lastUsed;
    if (idle > maxIdle || (idle >= peekAfter && looksDead(*c))) {
      closeQuietly(*c);
      continue;
    }
    return c;
  }
  return nullptr;
}

void Backend::putIdle(std::unique_ptr<UpstreamConnection> c, MonoTime now) {
  if (!active || idle_.size() >= maxIdle) {
    closeQuietly(*c);
    return;
  }
  c->lastUsed = now;
  idle_.push_back(std::move(c));
}

void Backend::closeIdle() {
  for (auto& c : idle_) closeQuietly(*c);
  idle_.clear();
}

void Backend::closeIdleOlderThan(MonoTime now, Millis maxIdle) {
  std::erase_if(idle_, [&](std::unique_ptr<UpstreamConnection>& c) {
    if (now - c->lastUsed > maxIdle) {
      closeQuietly(*c);
      return true;
    }
    return false;
  });
}

}  // namespace ramp::router
