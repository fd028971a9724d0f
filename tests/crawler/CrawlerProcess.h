// CrawlerProcess.h — starts the built crawler ($CRAWLER_BIN) for a test on
// a free loopback port, reads the port from its first stdout line, and
// makes sure it is gone when the test ends (SIGKILL as a last resort).
// HttpClient is a small blocking HTTP/1.1 client with socket timeouts.
#pragma once

// <utility> first: Boost 1.74's asio/awaitable.hpp uses std::exchange without it.
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace crawler_test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

inline std::string crawlerBin() {
  const char* p = std::getenv("CRAWLER_BIN");
  return p ? p : "";
}

class CrawlerProcess {
 public:
  // args: extra command-line arguments; env: extra environment variables.
  CrawlerProcess(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      for (auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
      std::vector<std::string> all{crawlerBin(), "--port", "0"};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      _exit(127);
    }
    ::close(out[1]);
    out_ = out[0];
    // First line: "crawler listening on 127.0.0.1:PORT ...".
    std::string line = readLine(std::chrono::seconds(10));
    firstLine_ = line;
    auto colon = line.rfind(':', line.find(" version="));
    if (line.rfind("crawler listening on ", 0) == 0 && colon != std::string::npos) {
      port_ = static_cast<unsigned short>(std::atoi(line.c_str() + colon + 1));
    }
  }
  ~CrawlerProcess() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }
  CrawlerProcess(const CrawlerProcess&) = delete;
  CrawlerProcess& operator=(const CrawlerProcess&) = delete;

  unsigned short port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& firstLine() const { return firstLine_; }

  // One line of stdout ("" on timeout or EOF).
  std::string readLine(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto nl = buf_.find('\n'); nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return "";
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return "";
      char b[4096];
      ssize_t n = ::read(out_, b, sizeof b);
      if (n <= 0) return "";
      buf_.append(b, static_cast<size_t>(n));
    }
  }

  // Waits for the process to exit; the raw wait status, or nullopt on timeout.
  std::optional<int> waitExit(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return status;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
  }

  void signal(int sig) { ::kill(pid_, sig); }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  bool exited_ = false;
  unsigned short port_ = 0;
  std::string buf_;
  std::string firstLine_;
};

struct Response {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
  std::string error;  // non-empty if the exchange failed
};

// A keep-alive connection to 127.0.0.1:port with 10 s socket timeouts.
class HttpClient {
 public:
  explicit HttpClient(unsigned short port) : socket_(io_) {
    boost::system::error_code ec;
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    if (ec) {
      error_ = ec.message();
      return;
    }
    timeval tv{10, 0};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  bool connected() const { return error_.empty(); }

  Response request(http::verb verb, const std::string& target, const std::string& body = "") {
    Response r;
    if (!error_.empty()) {
      r.error = error_;
      return r;
    }
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.body() = body;
    if (verb == http::verb::post) req.prepare_payload();
    boost::system::error_code ec;
    http::write(socket_, req, ec);
    if (ec) {
      r.error = "write: " + ec.message();
      return r;
    }
    http::response<http::string_body> res;
    http::read(socket_, buffer_, res, ec);
    if (ec) {
      r.error = "read: " + ec.message();
      return r;
    }
    r.status = res.result_int();
    r.body = res.body();
    for (auto& f : res) r.headers[std::string(f.name_string())] = std::string(f.value());
    return r;
  }
  Response get(const std::string& target) { return request(http::verb::get, target); }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  std::string error_;
};

}  // namespace crawler_test
