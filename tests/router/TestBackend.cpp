// TestBackend.cpp — a tiny HTTP/1.1 backend for the router's tests.
//
//   router_test_backend NAME   listens on 127.0.0.1:0, prints "PORT\n" on stdout
//
// Every response carries `X-Backend: NAME` and body "NAME\n", except:
//   /echo     echoes the request body (Content-Length or chunked request)
//   /slow?ms=N answers after N ms
//   /count    the number of requests seen so far (excluding /count)
//   /close    answers with Connection: close and closes
// Keep-alive as HTTP/1.1 says. Single-threaded, blocking-free (Asio).
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "router/ByteBuffer.h"
#include "router/ChunkedBodyScanner.h"
#include "router/HttpRequestParser.h"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace ramp::router;

static std::string gName;
static long gCount = 0;

class Conn : public std::enable_shared_from_this<Conn> {
 public:
  explicit Conn(tcp::socket s) : s_(std::move(s)), timer_(s_.get_executor()) {}
  void read() {
    auto st = parser_.parse(in_.view());
    if (st == HttpRequestParser::State::kError) {
      respond(400, "bad request: " + parser_.error() + "\n", true, 0);
      return;
    }
    if (st == HttpRequestParser::State::kDone) {
      const auto& h = parser_.head();
      size_t total = h.headBytes;
      std::string body;
      if (h.framing == BodyFraming::kLength) {
        if (in_.size() < h.headBytes + h.contentLength) return more();
        body = std::string(in_.view().substr(h.headBytes, h.contentLength));
        total += h.contentLength;
      } else if (h.framing == BodyFraming::kChunked) {
        ChunkedBodyScanner sc;
        size_t used = 0;
        auto cs = sc.feed(in_.view().substr(h.headBytes), &used);
        if (cs == ChunkedBodyScanner::State::kNeedMore) return more();
        if (cs == ChunkedBodyScanner::State::kError) {
          respond(400, "bad chunked body\n", true, 0);
          return;
        }
        body = "chunked:" + std::to_string(sc.dataBytes()) + "\n";
        total += used;
      }
      std::string target(h.target);
      bool close = !h.keepAlive;
      std::string reqLine = std::string(h.method) + " " + target;
      in_.consume(total);
      parser_.reset();
      if (target == "/count") {
        respond(200, std::to_string(gCount) + "\n", close, 0);
        return;
      }
      ++gCount;
      if (target == "/echo") {
        respond(200, body, close, 0);
      } else if (target.rfind("/slow", 0) == 0) {
        int ms = 200;
        if (auto p = target.find("ms="); p != std::string::npos) ms = std::atoi(target.c_str() + p + 3);
        respond(200, gName + "\n", close, ms);
      } else if (target == "/close") {
        respond(200, gName + "\n", true, 0);
      } else {
        respond(200, gName + "\n", close, 0);
      }
      return;
    }
    more();
  }

 private:
  void more() {
    char* p = in_.prepare(4096);
    s_.async_read_some(asio::buffer(p, in_.writable()), [self = shared_from_this()](boost::system::error_code ec, size_t n) {
      if (ec) return;
      self->in_.commit(n);
      self->read();
    });
  }
  void respond(int status, std::string body, bool close, int delayMs) {
    out_ = "HTTP/1.1 " + std::to_string(status) + (status == 200 ? " OK" : " Bad Request") +
           "\r\nX-Backend: " + gName + "\r\nContent-Length: " + std::to_string(body.size()) +
           (close ? "\r\nConnection: close" : "") + "\r\n\r\n" + body;
    auto send = [self = shared_from_this(), close] {
      asio::async_write(self->s_, asio::buffer(self->out_), [self, close](boost::system::error_code ec, size_t) {
        if (ec) return;
        if (close) {
          boost::system::error_code e;
          self->s_.shutdown(tcp::socket::shutdown_both, e);
          self->s_.close(e);
          return;
        }
        self->read();
      });
    };
    if (delayMs > 0) {
      timer_.expires_after(std::chrono::milliseconds(delayMs));
      timer_.async_wait([send](boost::system::error_code) { send(); });
    } else {
      send();
    }
  }
  tcp::socket s_;
  asio::steady_timer timer_;
  ByteBuffer in_{4096};
  HttpRequestParser parser_;
  std::string out_;
};

static void accept(tcp::acceptor& a) {
  a.async_accept([&a](boost::system::error_code ec, tcp::socket s) {
    if (!ec) std::make_shared<Conn>(std::move(s))->read();
    accept(a);
  });
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: router_test_backend NAME [PORT]\n";
    return 1;
  }
  gName = argv[1];
  int port = argc > 2 ? std::atoi(argv[2]) : 0;
  asio::io_context io(1);
  tcp::acceptor a(io);
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  a.open(ep.protocol());
  a.set_option(asio::socket_base::reuse_address(true));
  a.bind(ep);
  a.listen(1024);
  std::printf("%d\n", a.local_endpoint().port());
  std::fflush(stdout);
  accept(a);
  asio::signal_set sig(io, SIGTERM, SIGINT);
  sig.async_wait([&](boost::system::error_code, int) { io.stop(); });
  io.run();
  return 0;
}
