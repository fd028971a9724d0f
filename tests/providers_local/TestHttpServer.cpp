// TestHttpServer.cpp — the "release" the local fleet provider tests run.
//
// A tiny HTTP/1.0 server on 127.0.0.1:$PORT:
//   GET /healthz  200 "ok" (503 when TEST_FAIL_HEALTH=1)
//   GET /env      200, the process environment one VAR=value per line, plus
//                 CWD=<working directory> and PGID=<process group>
//   GET /pid      200, the pid
// Behaviour switches (environment):
//   TEST_EXIT_AFTER_MS=N  exit with code 3 after N ms
//   TEST_LOG_BYTES=N      write N bytes of lines to stdout at start
//   TEST_IGNORE_TERM=1    ignore SIGTERM (to test SIGKILL escalation)
// SIGTERM otherwise ends it gracefully with exit code 0.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

extern char** environ;

namespace {
volatile std::sig_atomic_t stopping = 0;
void onTerm(int) { stopping = 1; }

std::string envOr(const char* name, const char* dflt) {
  const char* v = std::getenv(name);
  return v ? v : dflt;
}

void answer(int fd, int status, const std::string& body) {
  std::string head = "HTTP/1.0 " + std::to_string(status) + (status == 200 ? " OK" : " Error") +
                     "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
                     "\r\nConnection: close\r\n\r\n";
  std::string all = head + body;
  size_t off = 0;
  for (int i = 0; i < 1000 && off < all.size(); ++i) {
    ssize_t n = ::send(fd, all.data() + off, all.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
}
}  // namespace

int main() {
  int port = std::atoi(envOr("PORT", "0").c_str());
  bool failHealth = envOr("TEST_FAIL_HEALTH", "") == "1";
  long exitAfter = std::atol(envOr("TEST_EXIT_AFTER_MS", "0").c_str());
  long logBytes = std::atol(envOr("TEST_LOG_BYTES", "0").c_str());
  if (envOr("TEST_IGNORE_TERM", "") == "1") {
    std::signal(SIGTERM, SIG_IGN);
  } else {
    std::signal(SIGTERM, onTerm);
  }
  for (long written = 0; written < logBytes;) {
    std::string line = "log line " + std::to_string(written) + " ................................................\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
    written += static_cast<long>(line.size());
  }
  std::fflush(stdout);
  std::fprintf(stderr, "test server starting on port %d\n", port);

  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0) {
    std::perror("bind/listen");
    return 2;
  }
  auto start = std::chrono::steady_clock::now();
  while (!stopping) {
    if (exitAfter > 0 && std::chrono::steady_clock::now() - start > std::chrono::milliseconds(exitAfter)) {
      std::fprintf(stderr, "exiting as told\n");
      return 3;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    int c = ::accept(fd, nullptr, nullptr);
    if (c < 0) continue;
    std::string req;
    char buf[2048];
    for (int i = 0; i < 50 && req.find("\r\n\r\n") == std::string::npos && req.size() < 8192; ++i) {
      pollfd q{c, POLLIN, 0};
      if (::poll(&q, 1, 20) <= 0) continue;
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      req.append(buf, static_cast<size_t>(n));
    }
    std::string path;
    if (req.rfind("GET ", 0) == 0) path = req.substr(4, req.find(' ', 4) - 4);
    if (path == "/healthz") {
      answer(c, failHealth ? 503 : 200, failHealth ? "failing as told\n" : "ok\n");
    } else if (path == "/env") {
      std::string body;
      for (char** e = environ; *e; ++e) body += std::string(*e) + "\n";
      body += "CWD=" + std::filesystem::current_path().string() + "\n";
      body += "PGID=" + std::to_string(::getpgrp()) + "\n";
      answer(c, 200, body);
    } else if (path == "/pid") {
      answer(c, 200, std::to_string(::getpid()));
    } else {
      answer(c, 404, "not found\n");
    }
    ::close(c);
  }
  std::fprintf(stderr, "test server stopping on SIGTERM\n");
  return 0;
}
