#include "LoopbackReceiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "core/Sha256.h"

namespace ramp::testing {

LoopbackReceiver::LoopbackReceiver(std::string secret, std::vector<int> statuses, int port)
    : secret_(std::move(secret)), statuses_(std::move(statuses)) {
  listenFd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listenFd_, 16) != 0) {
    throw std::runtime_error("cannot listen on loopback");
  }
  socklen_t len = sizeof a;
  ::getsockname(listenFd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { serve(); });
}

LoopbackReceiver::~LoopbackReceiver() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(listenFd_);
}

std::string LoopbackReceiver::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<ReceivedRequest> LoopbackReceiver::requests() {
  std::lock_guard lock(mu_);
  return got_;
}

void LoopbackReceiver::serve() {
  // Bounded: polls every 50 ms until told to stop.
  while (!stop_) {
    pollfd p{listenFd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    handle(fd);
    ::close(fd);
  }
}

void LoopbackReceiver::handle(int fd) {
  std::string in;
  char buf[4096];
  size_t headerEnd = std::string::npos;
  size_t need = 0;
  // Read at most 1 MiB or 2 s.
  for (int i = 0; i < 40 && in.size() < (1u << 20); ++i) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) {
      if (stop_) return;
      continue;
    }
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
    if (headerEnd == std::string::npos) {
      headerEnd = in.find("\r\n\r\n");
      if (headerEnd != std::string::npos) {
        std::string lower = in.substr(0, headerEnd);
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        auto cl = lower.find("content-length:");
        need = cl == std::string::npos ? 0 : std::stoul(lower.substr(cl + 15));
      }
    }
    if (headerEnd != std::string::npos && in.size() >= headerEnd + 4 + need) break;
  }
  if (headerEnd == std::string::npos) return;
  ReceivedRequest r;
  std::string head = in.substr(0, headerEnd);
  r.body = in.substr(headerEnd + 4, need);
  size_t lineEnd = head.find("\r\n");
  std::string first = head.substr(0, lineEnd);
  r.method = first.substr(0, first.find(' '));
  r.target = first.substr(first.find(' ') + 1, first.rfind(' ') - first.find(' ') - 1);
  size_t pos = lineEnd == std::string::npos ? head.size() : lineEnd + 2;
  while (pos < head.size()) {
    size_t e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    std::string line = head.substr(pos, e - pos);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers[name] = value;
    }
    pos = e + 2;
  }
  r.signatureValid = r.headers.contains("x-ramp-signature") &&
                     r.headers["x-ramp-signature"] == "sha256=" + hmacSha256Hex(secret_, r.body);
  int status;
  {
    std::lock_guard lock(mu_);
    size_t i = std::min(got_.size(), statuses_.size() - 1);
    status = statuses_[i];
    got_.push_back(r);
  }
  std::string reply = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
  (void)::write(fd, reply.data(), reply.size());
}

}  // namespace ramp::testing
