// RouterFixture.h — what the router's process tests share: start the world's
// router through ensureRouterRunning($RAMP_HOME, $RAMP_BIN), start test
// backends (router_test_backend processes), and a blocking HTTP client.
// Everything started is killed in TearDown.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <nlohmann/json.hpp>

#include "router/AdminClient.h"
#include "router/HttpResponseParser.h"
#include "router/RouterProcess.h"

namespace ramp::router::test {

struct HttpResult {
  int status = 0;  // 0: the connection failed
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  bool closed = false;  // the server closed the connection afterwards
};

// One client connection (plain, or TLS after startTls); reconnects when
// needed (plain only).
class HttpConn {
 public:
  explicit HttpConn(int port) : port_(port) {}
  ~HttpConn() { close(); }
  HttpConn(const HttpConn&) = delete;
  HttpConn& operator=(const HttpConn&) = delete;
  void close() {
    if (ssl_) SSL_free(ssl_);
    ssl_ = nullptr;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buf_.clear();
  }
  // TLS handshake on the connected socket, verifying the certificate
  // against ctx's trust store and `host` (also sent as SNI); offers
  // `resume` (a session from an earlier connection) if given.
  bool startTls(SSL_CTX* ctx, const std::string& host, SSL_SESSION* resume = nullptr) {
    if (fd_ < 0 && !connect()) return false;
    ssl_ = SSL_new(ctx);
    if (resume) SSL_set_session(ssl_, resume);
    SSL_set_fd(ssl_, fd_);
    SSL_set_tlsext_host_name(ssl_, host.c_str());
    SSL_set1_host(ssl_, host.c_str());
    return SSL_connect(ssl_) == 1;
  }
  // Serial number of the server's certificate (TLS), -1 without.
  long peerSerial() const {
    X509* c = ssl_ ? SSL_get0_peer_certificate(ssl_) : nullptr;
    return c ? ASN1_INTEGER_get(X509_get0_serialNumber(c)) : -1;
  }
  bool tls() const { return ssl_ != nullptr; }
  SSL* ssl() const { return ssl_; }
  ssize_t sendAll(const char* p, size_t n) {
    size_t done = 0;
    while (done < n) {
      ssize_t w;
      if (ssl_) {
        size_t wrote = 0;
        w = SSL_write_ex(ssl_, p + done, n - done, &wrote) == 1 ? static_cast<ssize_t>(wrote) : -1;
      } else {
        w = ::send(fd_, p + done, n - done, MSG_NOSIGNAL);
      }
      if (w <= 0) return -1;
      done += static_cast<size_t>(w);
    }
    return static_cast<ssize_t>(done);
  }
  ssize_t recvSome(char* p, size_t n) {
    if (ssl_) {
      size_t got = 0;
      return SSL_read_ex(ssl_, p, n, &got) == 1 ? static_cast<ssize_t>(got) : 0;
    }
    return ::recv(fd_, p, n, 0);
  }
  // Bytes already received but not consumed by readResponse.
  std::string& pending() { return buf_; }
  bool connect() {
    close();
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port_));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      close();
      return false;
    }
    return true;
  }
  // Sends raw bytes and reads one response.
  HttpResult exchange(const std::string& raw, bool isHead = false) {
    HttpResult r;
    if (fd_ < 0 && !connect()) return r;
    if (sendAll(raw.data(), raw.size()) != static_cast<ssize_t>(raw.size())) {
      close();
      return r;
    }
    return readResponse(isHead);
  }
  HttpResult readResponse(bool isHead = false) {
    HttpResult r;
    HttpResponseParser p;
    char tmp[16384];
    for (int i = 0; i < 10000; ++i) {
      auto st = p.parse(buf_, isHead);
      if (st == HttpResponseParser::State::kError) break;
      if (st == HttpResponseParser::State::kDone) {
        const auto& h = p.head();
        if (h.status >= 100 && h.status < 200 && h.status != 101) {
          buf_.erase(0, h.headBytes);
          p.reset();
          continue;
        }
        size_t need = h.framing == ResponseHead::Framing::kLength ? h.contentLength : 0;
        if (buf_.size() >= h.headBytes + need && h.framing != ResponseHead::Framing::kUntilClose) {
          r.status = h.status;
          for (auto& [n, v] : h.headers) {
            std::string k(n);
            for (auto& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            r.headers[k] = std::string(v);
          }
          r.body = buf_.substr(h.headBytes, need);
          buf_.erase(0, h.headBytes + need);
          if (!h.keepAlive) {
            r.closed = true;
            close();
          }
          return r;
        }
      }
      ssize_t n = recvSome(tmp, sizeof tmp);
      if (n <= 0) {
        // A response whose body runs until the close: complete now.
        if (st == HttpResponseParser::State::kDone && p.head().framing == ResponseHead::Framing::kUntilClose) {
          r.status = p.head().status;
          for (auto& [hn, hv] : p.head().headers) {
            std::string k(hn);
            for (auto& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            r.headers[k] = std::string(hv);
          }
          r.body = buf_.substr(p.head().headBytes);
          r.closed = true;
        }
        break;
      }
      buf_.append(tmp, static_cast<size_t>(n));
    }
    close();
    return r;
  }
  HttpResult get(const std::string& path, const std::string& extraHeaders = "") {
    return exchange("GET " + path + " HTTP/1.1\r\nHost: test\r\n" + extraHeaders + "\r\n");
  }
  int fd() const { return fd_; }

 private:
  int port_;
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  std::string buf_;
};

// The hostile-request table: each must get 400 and a closed connection,
// and reach no backend (plain and TLS; docs/router.md "Request parser rules").
inline std::vector<std::string> hostileRequests() {
  return {
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n folded\r\n\r\n",
      "GET / HTTP/1.1\nHost: t\n\n",
      "GET / HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(70000, 'x') + "\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: t\r\nGET / HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: t\r\nHost: u\r\n\r\n",
      "GET /\x01 HTTP/1.1\r\nHost: t\r\n\r\n",
      "CONNECT t:443 HTTP/1.1\r\nHost: t\r\n\r\n",
  };
}

struct Backend {
  pid_t pid = 0;
  int port = 0;
  std::string name;
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
};

class RouterFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* home = std::getenv("RAMP_HOME");
    const char* bin = std::getenv("RAMP_BIN");
    ASSERT_TRUE(home && bin) << "run through ctest (RAMP_HOME, RAMP_BIN)";
    // One world per test (inside the isolated RAMP_HOME, so leaks are still caught).
    home_ = std::filesystem::path(home) / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::create_directories(home_);
    bin_ = bin;
    startRouter();
  }
  void TearDown() override {
    (void)stopRouter(home_, Millis(5000));
    for (auto& b : backends_) killBackend(b);
  }
  void startRouter() {
    auto ep = ensureRouterRunning(home_, bin_, Millis(10000));
    ASSERT_TRUE(ep.has_value()) << ep.error().describe();
    endpoint_ = *ep;
    admin_ = std::make_unique<AdminClient>(ep->adminAddress, ep->token, Millis(5000));
  }
  Backend startBackend(const std::string& name) {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      ::execl(ROUTER_TEST_BACKEND, ROUTER_TEST_BACKEND, name.c_str(), nullptr);
      ::_exit(127);
    }
    ::close(fds[1]);
    std::string line;
    char c;
    while (::read(fds[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(fds[0]);
    Backend b{pid, std::atoi(line.c_str()), name};
    EXPECT_GT(b.port, 0) << "backend " << name << " did not start";
    backends_.push_back(b);
    return b;
  }
  void killBackend(Backend& b) {
    if (b.pid <= 0) return;
    ::kill(b.pid, SIGKILL);
    ::waitpid(b.pid, nullptr, 0);
    for (auto& x : backends_)
      if (x.pid == b.pid) x.pid = 0;
    b.pid = 0;
  }
  // Resident memory of a process in KiB (VmRSS), -1 if unknown.
  static long rssKiB(int64_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(f, line))
      if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    return -1;
  }
  nlohmann::json call(const std::string& method, const std::string& path,
                      const std::optional<nlohmann::json>& body = std::nullopt) {
    auto r = admin_->call(method, path, body);
    EXPECT_TRUE(r.has_value()) << method << " " << path << ": " << r.error().describe();
    return r ? *r : nlohmann::json();
  }
  int makeEntrypoint(const std::string& name) {
    auto j = call("PUT", "/admin/v1/entrypoints/" + name, nlohmann::json{{"port", 0}});
    return j.value("port", 0);
  }
  static nlohmann::json fleet(const std::string& id, int weight, const std::vector<Backend>& bs) {
    std::vector<std::string> addrs;
    for (auto& b : bs) addrs.push_back(b.address());
    return {{"id", id}, {"weight", weight}, {"backends", addrs}};
  }
  // An entry point whose one fleet `id`, also its stable fleet, takes all
  // traffic at epoch 1; returns its port.
  int singleFleetEntrypoint(const std::string& name, const std::string& id, const Backend& b) {
    int port = makeEntrypoint(name);
    call("PUT", "/admin/v1/entrypoints/" + name + "/split",
         nlohmann::json{{"epoch", 1}, {"fleets", nlohmann::json::array({fleet(id, 100, {b})})}, {"stable", id}});
    return port;
  }
  // An entry point with stable fleet "blue" (`blue`) and canary "green"
  // (`greens`) at blueWeight / 100 - blueWeight, green pinned by the
  // X-Ramp-Canary header, at epoch 1; returns its port.
  int pinnedCanaryEntrypoint(const std::string& name, int blueWeight, const Backend& blue,
                             const std::vector<Backend>& greens) {
    int port = makeEntrypoint(name);
    call("PUT", "/admin/v1/entrypoints/" + name + "/split",
         nlohmann::json{{"epoch", 1},
                        {"fleets", nlohmann::json::array({fleet("blue", blueWeight, {blue}),
                                                          fleet("green", 100 - blueWeight, greens)})},
                        {"pin", {{"header", "X-Ramp-Canary"}, {"fleet", "green"}}},
                        {"stable", "blue"}});
    return port;
  }
  nlohmann::json setSplit(const std::string& ep, int64_t epoch, const nlohmann::json& fleets,
                          const nlohmann::json& pin = nullptr) {
    return call("PUT", "/admin/v1/entrypoints/" + ep + "/split",
                nlohmann::json{{"epoch", epoch}, {"fleets", fleets}, {"pin", pin}});
  }

  std::filesystem::path home_;
  std::filesystem::path bin_;
  RouterEndpoint endpoint_;
  std::unique_ptr<AdminClient> admin_;
  std::vector<Backend> backends_;
};

}  // namespace ramp::router::test
