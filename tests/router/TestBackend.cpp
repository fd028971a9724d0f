// TestBackend.cpp — a tiny HTTP/1.1 backend for the router's tests.
//
//   router_test_backend NAME   listens on 127.0.0.1:0, prints "PORT\n" on stdout
//
// Every response carries `X-Backend: NAME` and body "NAME\n", except:
//   /echo        echoes the request body (Content-Length or chunked request)
//   /slow?ms=N   answers after N ms
//   /count       the number of requests seen so far (excluding /count)
//   /close       answers with Connection: close and closes
//   /dropnext    answers as usual (keep-alive), then closes the connection
//                without an answer when the next request comes on it (a
//                pooled connection the backend dropped, found only once a
//                request was sent); /dropnext?listen=0 also stops listening
//                at once (new connections refused: an instance that died)
//   /idle408?ms=N  answers as usual (keep-alive); if no request came N ms
//                later, writes an unsolicited "HTTP/1.1 408 Request
//                Timeout\r\n\r\n" on the idle connection and shuts down its
//                sending side (FIN), as servers do at their keep-alive idle
//                timeout; requests that come on it afterwards get nothing
//                (the connection closes when the peer closes it)
//   /sink        reads the body as it streams (never holds it) and answers
//                "bytes=N sum=S" (S: the sum of all body bytes, mod 2^32)
//   /bytes?n=N   answers N bytes (byte i = i mod 251), streamed in 64 KiB writes
//   /sse?n=K&ms=M  a chunked text/event-stream: K events, one every M ms
//   /early       answers 413 at once, without reading the body, and closes
//   /rogue101    answers 101 to anything (the router must refuse it)
//   /ws          WebSocket (RFC 6455): 101, then every text frame is answered
//                with a text frame "NAME:<payload>"; a close frame is echoed
//                and the connection closed
// Keep-alive as HTTP/1.1 says. Single-threaded, blocking-free (Asio).
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <csignal>
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
#include "router/HttpSyntax.h"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace ramp::router;

static std::string gName;
static long gCount = 0;
static boost::asio::ip::tcp::acceptor* gAcceptor = nullptr;

namespace {

long queryInt(const std::string& target, const std::string& key, long dflt) {
  auto p = target.find(key + "=");
  return p == std::string::npos ? dflt : std::atol(target.c_str() + p + key.size() + 1);
}

std::string wsAccept(std::string_view key) {
  std::string s(key);
  s += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), digest);
  unsigned char out[64];
  int n = EVP_EncodeBlock(out, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<char*>(out), static_cast<size_t>(n));
}

std::string wsFrame(unsigned char opcode, std::string_view payload) {
  std::string f;
  f.push_back(static_cast<char>(0x80 | opcode));
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(payload.size()));
  } else {
    f.push_back(126);
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xff));
  }
  f.append(payload);
  return f;
}

}  // namespace

class Conn : public std::enable_shared_from_this<Conn> {
 public:
  explicit Conn(tcp::socket s) : s_(std::move(s)), timer_(s_.get_executor()) {}
  void read() {
    if (sent408_) {  // after the unsolicited 408: ignore everything, wait for the peer's close
      in_.clear();
      return more();
    }
    auto st = parser_.parse(in_.view());
    if (st == HttpRequestParser::State::kError) {
      respond(400, "bad request: " + parser_.error() + "\n", true, 0);
      return;
    }
    if (st == HttpRequestParser::State::kDone && dropNext_) {
      boost::system::error_code e;
      s_.close(e);
      return;
    }
    if (st == HttpRequestParser::State::kDone) {
      const auto& h = parser_.head();
      std::string target(h.target);
      bool close = !h.keepAlive;
      if (idle408Ms_ > 0) {  // a request came in time: no unsolicited 408
        idle408Ms_ = 0;
        timer_.cancel();
      }
      if (target == "/sink") return startSink(close);
      if (target == "/early") {
        ++gCount;
        respond(413, "too large\n", true, 0);
        return;
      }
      if (target == "/ws") return upgrade();
      if (target == "/rogue101") {  // switches protocols although nobody asked
        in_.consume(h.headBytes);
        parser_.reset();
        out_ = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
        asio::async_write(s_, asio::buffer(out_), [self = shared_from_this()](boost::system::error_code, size_t) {});
        return;
      }
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
        respond(200, gName + "\n", close, static_cast<int>(queryInt(target, "ms", 200)));
      } else if (target == "/close") {
        respond(200, gName + "\n", true, 0);
      } else if (target.rfind("/dropnext", 0) == 0) {
        dropNext_ = true;
        if (queryInt(target, "listen", 1) == 0 && gAcceptor) {
          boost::system::error_code e;
          gAcceptor->close(e);
        }
        respond(200, gName + "\n", close, 0);
      } else if (target.rfind("/idle408", 0) == 0) {
        idle408Ms_ = static_cast<int>(queryInt(target, "ms", 100));
        respond(200, gName + "\n", close, 0);
      } else if (target.rfind("/bytes", 0) == 0) {
        startBytes(static_cast<uint64_t>(queryInt(target, "n", 0)), close);
      } else if (target.rfind("/sse", 0) == 0) {
        startSse(static_cast<int>(queryInt(target, "n", 3)), static_cast<int>(queryInt(target, "ms", 100)));
      } else {
        respond(200, gName + "\n", close, 0);
      }
      return;
    }
    more();
  }

 private:
  void more() {
    char* p = in_.prepare(65536);
    s_.async_read_some(asio::buffer(p, in_.writable()), [self = shared_from_this()](boost::system::error_code ec, size_t n) {
      if (ec) return;
      self->in_.commit(n);
      self->read();
    });
  }
  void respond(int status, std::string body, bool close, int delayMs) {
    const char* reason = status == 200 ? " OK" : status == 413 ? " Content Too Large" : " Bad Request";
    out_ = "HTTP/1.1 " + std::to_string(status) + reason + "\r\nX-Backend: " + gName +
           "\r\nContent-Length: " + std::to_string(body.size()) + (close ? "\r\nConnection: close" : "") + "\r\n\r\n" +
           body;
    auto send = [self = shared_from_this(), close] {
      asio::async_write(self->s_, asio::buffer(self->out_), [self, close](boost::system::error_code ec, size_t) {
        if (ec) return;
        if (close) {
          boost::system::error_code e;
          self->s_.shutdown(tcp::socket::shutdown_send, e);
          self->lingerThenClose();
          return;
        }
        if (self->idle408Ms_ > 0) self->armIdle408();
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
  // /idle408: the unsolicited answer at the "idle timeout", then FIN.
  void armIdle408() {
    timer_.expires_after(std::chrono::milliseconds(idle408Ms_));
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->idle408Ms_ == 0 || self->in_.size() > 0) return;
      self->idle408Ms_ = 0;
      self->sent408_ = true;
      self->chunk_ = "HTTP/1.1 408 Request Timeout\r\n\r\n";
      asio::async_write(self->s_, asio::buffer(self->chunk_), [self](boost::system::error_code ec, size_t) {
        if (ec) return;
        boost::system::error_code e;
        self->s_.shutdown(tcp::socket::shutdown_send, e);
      });
    });
  }
  void lingerThenClose() {
    in_.clear();
    char* p = in_.prepare(65536);
    s_.async_read_some(asio::buffer(p, in_.writable()), [self = shared_from_this()](boost::system::error_code ec, size_t) {
      if (ec) {
        boost::system::error_code e;
        self->s_.close(e);
        return;
      }
      self->lingerThenClose();
    });
  }

  // /sink: count and sum body bytes as they stream; nothing is kept.
  void startSink(bool close) {
    const auto& h = parser_.head();
    sinkClose_ = close;
    sinkChunked_ = h.framing == BodyFraming::kChunked;
    sinkLeft_ = h.framing == BodyFraming::kLength ? h.contentLength : 0;
    sinkBytes_ = 0;
    sinkSum_ = 0;
    chunks_.reset();
    in_.consume(h.headBytes);
    parser_.reset();
    ++gCount;
    sink();
  }
  void sink() {
    std::string_view v = in_.view();
    size_t take;
    bool done;
    if (sinkChunked_) {
      size_t used = 0;
      auto st = chunks_.feed(v, &used);
      if (st == ChunkedBodyScanner::State::kError) {
        respond(400, "bad chunked body\n", true, 0);
        return;
      }
      take = used;
      done = st == ChunkedBodyScanner::State::kDone;
      sinkBytes_ = chunks_.dataBytes();
    } else {
      take = static_cast<size_t>(std::min<uint64_t>(v.size(), sinkLeft_));
      sinkLeft_ -= take;
      sinkBytes_ += take;
      for (size_t i = 0; i < take; ++i) sinkSum_ += static_cast<unsigned char>(v[i]);
      done = sinkLeft_ == 0;
    }
    in_.consume(take);
    if (done) {
      respond(200, "bytes=" + std::to_string(sinkBytes_) + " sum=" + std::to_string(sinkSum_) + "\n", sinkClose_, 0);
      return;
    }
    char* p = in_.prepare(65536);
    s_.async_read_some(asio::buffer(p, std::min<size_t>(in_.writable(), 65536)),
                       [self = shared_from_this()](boost::system::error_code ec, size_t n) {
                         if (ec) return;
                         self->in_.commit(n);
                         self->sink();
                       });
  }

  // /bytes?n=N: N bytes, 64 KiB per write (back-pressure from the router).
  void startBytes(uint64_t n, bool close) {
    out_ = "HTTP/1.1 200 OK\r\nX-Backend: " + gName + "\r\nContent-Length: " + std::to_string(n) +
           (close ? "\r\nConnection: close" : "") + "\r\n\r\n";
    bytesLeft_ = n;
    bytesPos_ = 0;
    bytesClose_ = close;
    asio::async_write(s_, asio::buffer(out_), [self = shared_from_this()](boost::system::error_code ec, size_t) {
      if (!ec) self->moreBytes();
    });
  }
  void moreBytes() {
    if (bytesLeft_ == 0) {
      if (bytesClose_) {
        boost::system::error_code e;
        s_.shutdown(tcp::socket::shutdown_send, e);
        return;
      }
      read();
      return;
    }
    size_t n = static_cast<size_t>(std::min<uint64_t>(bytesLeft_, 65536));
    chunk_.resize(n);
    for (size_t i = 0; i < n; ++i) chunk_[i] = static_cast<char>((bytesPos_ + i) % 251);
    bytesPos_ += n;
    bytesLeft_ -= n;
    asio::async_write(s_, asio::buffer(chunk_), [self = shared_from_this()](boost::system::error_code ec, size_t) {
      if (!ec) self->moreBytes();
    });
  }

  // /sse?n=K&ms=M
  void startSse(int n, int ms) {
    out_ = "HTTP/1.1 200 OK\r\nX-Backend: " + gName +
           "\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
    sseLeft_ = n;
    sseMs_ = ms;
    sseSeq_ = 0;
    asio::async_write(s_, asio::buffer(out_), [self = shared_from_this()](boost::system::error_code ec, size_t) {
      if (!ec) self->sseNext();
    });
  }
  void sseNext() {
    if (sseLeft_ == 0) {
      chunk_ = "0\r\n\r\n";
      asio::async_write(s_, asio::buffer(chunk_), [self = shared_from_this()](boost::system::error_code ec, size_t) {
        if (!ec) self->read();
      });
      return;
    }
    std::string ev = "data: event " + std::to_string(sseSeq_++) + "\n\n";
    char hex[16];
    std::snprintf(hex, sizeof hex, "%zx", ev.size());
    chunk_ = std::string(hex) + "\r\n" + ev + "\r\n";
    --sseLeft_;
    asio::async_write(s_, asio::buffer(chunk_), [self = shared_from_this()](boost::system::error_code ec, size_t) {
      if (ec) return;
      self->timer_.expires_after(std::chrono::milliseconds(self->sseMs_));
      self->timer_.async_wait([self](boost::system::error_code) { self->sseNext(); });
    });
  }

  // /ws: RFC 6455 handshake, then text frames echoed with our name.
  void upgrade() {
    const auto& h = parser_.head();
    std::string_view key, up;
    for (const auto& [n, v] : h.headers) {
      if (http::iequals(n, "sec-websocket-key")) key = v;
      if (http::iequals(n, "upgrade")) up = v;
    }
    if (key.empty() || !http::iequals(up, "websocket")) {
      in_.consume(h.headBytes);
      parser_.reset();
      respond(400, "not a websocket handshake\n", true, 0);
      return;
    }
    out_ = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Backend: " + gName +
           "\r\nSec-WebSocket-Accept: " + wsAccept(key) + "\r\n\r\n";
    in_.consume(h.headBytes);
    parser_.reset();
    ++gCount;
    asio::async_write(s_, asio::buffer(out_), [self = shared_from_this()](boost::system::error_code ec, size_t) {
      if (!ec) self->wsRead();
    });
  }
  void wsRead() {
    std::string_view v = in_.view();
    if (v.size() >= 2) {
      unsigned char op = static_cast<unsigned char>(v[0]) & 0x0f;
      bool masked = static_cast<unsigned char>(v[1]) & 0x80;
      uint64_t len = static_cast<unsigned char>(v[1]) & 0x7f;
      size_t at = 2;
      if (len == 126 && v.size() >= 4) {
        len = (static_cast<uint64_t>(static_cast<unsigned char>(v[2])) << 8) | static_cast<unsigned char>(v[3]);
        at = 4;
      }
      size_t need = at + (masked ? 4 : 0) + static_cast<size_t>(len);
      if (len < 126 || at == 4) {
        if (v.size() >= need) {
          std::string payload(v.substr(at + (masked ? 4 : 0), static_cast<size_t>(len)));
          if (masked)
            for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(payload[i] ^ v[at + (i % 4)]);
          in_.consume(need);
          bool closing = op == 8;
          out_ = closing ? wsFrame(8, payload) : wsFrame(1, gName + ":" + payload);
          asio::async_write(s_, asio::buffer(out_), [self = shared_from_this(), closing](boost::system::error_code ec, size_t) {
            if (ec) return;
            if (closing) {
              boost::system::error_code e;
              self->s_.shutdown(tcp::socket::shutdown_send, e);
              self->lingerThenClose();
              return;
            }
            self->wsRead();
          });
          return;
        }
      }
    }
    char* p = in_.prepare(4096);
    s_.async_read_some(asio::buffer(p, in_.writable()), [self = shared_from_this()](boost::system::error_code ec, size_t n) {
      if (ec) return;
      self->in_.commit(n);
      self->wsRead();
    });
  }

  tcp::socket s_;
  asio::steady_timer timer_;
  ByteBuffer in_{4096};
  HttpRequestParser parser_;
  std::string out_;
  std::string chunk_;
  ChunkedBodyScanner chunks_;
  bool sinkClose_ = false, sinkChunked_ = false;
  uint64_t sinkLeft_ = 0, sinkBytes_ = 0;
  uint32_t sinkSum_ = 0;
  uint64_t bytesLeft_ = 0, bytesPos_ = 0;
  bool bytesClose_ = false;
  bool dropNext_ = false;
  int idle408Ms_ = 0;     // /idle408: the unsolicited 408 is due this long after the answer
  bool sent408_ = false;  // it was sent: nothing more is answered on this connection
  int sseLeft_ = 0, sseMs_ = 0, sseSeq_ = 0;
};

static void accept(tcp::acceptor& a) {
  a.async_accept([&a](boost::system::error_code ec, tcp::socket s) {
    if (!a.is_open()) return;  // stopped listening (/dropnext?listen=0)
    if (!ec) std::make_shared<Conn>(std::move(s))->read();
    accept(a);
  });
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: router_test_backend NAME [PORT]\n";
    return 1;
  }
  ::signal(SIGPIPE, SIG_IGN);
  gName = argv[1];
  int port = argc > 2 ? std::atoi(argv[2]) : 0;
  asio::io_context io(1);
  tcp::acceptor a(io);
  gAcceptor = &a;
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  a.open(ep.protocol());
  a.set_option(asio::socket_base::reuse_address(true));
  a.bind(ep);
  a.listen(4096);
  std::printf("%d\n", a.local_endpoint().port());
  std::fflush(stdout);
  accept(a);
  asio::signal_set sig(io, SIGTERM, SIGINT);
  sig.async_wait([&](boost::system::error_code, int) { io.stop(); });
  io.run();
  return 0;
}
