// LoopbackServer.h — a tiny HTTP/1.1 server on 127.0.0.1:0 for the AWS tests
// (fake IMDSv2, fault-injecting proxy in front of moto).
//
// One thread; each connection carries one request (answers say
// "Connection: close"). The handler gets the raw request (headers + body,
// read up to Content-Length) and returns the raw answer, or nullopt to drop
// the connection without answering. Stops (and joins) on destruction;
// accept waits are bounded by poll timeouts.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <thread>

namespace ramp::providers::aws::test {

class LoopbackServer {
 public:
  using Handler = std::function<std::optional<std::string>(const std::string& request)>;

  explicit LoopbackServer(Handler h) : handler_(std::move(h)) {
    fd_ = listenOnLoopback(port_);
    thread_ = std::thread([this] { run(); });
  }
  ~LoopbackServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }

  static std::string answer(int status, const std::string& body, const std::string& type = "text/plain",
                            const std::string& extraHeaders = "") {
    return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " + type +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n" + extraHeaders +
           "\r\n" + body;
  }

  // Reads one request (headers + Content-Length body) from `fd`, bounded.
  static std::string readRequest(int fd) {
    std::string data;
    char buf[8192];
    for (int i = 0; i < 10000; ++i) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) break;
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      data.append(buf, static_cast<size_t>(n));
      auto end = data.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      size_t len = 0;
      auto cl = lowerCopy(data.substr(0, end)).find("content-length:");
      if (cl != std::string::npos) len = std::stoul(data.substr(cl + 15, data.find("\r\n", cl) - cl - 15));
      if (data.size() >= end + 4 + len) break;
    }
    return data;
  }

  // A listening socket on 127.0.0.1 at a free port (written to `port`).
  static int listenOnLoopback(int& port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd, 16);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    return fd;
  }

  static void writeAll(int fd, const std::string& s) {
    size_t off = 0;
    for (int i = 0; i < 100000 && off < s.size(); ++i) {
      ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
  }

  static std::string lowerCopy(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

 private:
  void run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string req = readRequest(c);
      ++requests_;
      auto resp = handler_(req);
      if (resp) writeAll(c, *resp);
      ::shutdown(c, SHUT_RDWR);
      ::close(c);
    }
  }

  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

}  // namespace ramp::providers::aws::test
