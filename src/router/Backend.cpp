#include "router/Backend.h"

#include <sys/socket.h>

#include <cerrno>

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

std::unique_ptr<UpstreamConnection> Backend::takeIdle(MonoTime now, Millis maxIdle) {
  while (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    if (now - c->lastUsed > maxIdle || looksDead(*c)) {
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
