#include "router/Entrypoint.h"

#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "router/ClientSession.h"
#include "router/DataPlane.h"
#include "router/Worker.h"

namespace ramp::router {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// A connection over max_connections: answered 503 and closed, lingering
// at most 1 s so the client reads the answer instead of a reset.
class Refusal : public std::enable_shared_from_this<Refusal> {
 public:
  Refusal(tcp::socket s, std::string text, int* lingering)
      : socket_(std::move(s)), timer_(socket_.get_executor()), text_(std::move(text)), lingering_(lingering) {
    ++*lingering_;
  }
  ~Refusal() { --*lingering_; }
  void start() {
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->close();
    });
    asio::async_write(socket_, asio::buffer(text_), [self = shared_from_this()](boost::system::error_code ec, size_t) {
      if (ec) {
        self->close();
        return;
      }
      boost::system::error_code ignored;
      self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
      self->drain();
    });
  }

 private:
  void drain() {
    socket_.async_read_some(asio::buffer(buf_), [self = shared_from_this()](boost::system::error_code ec, size_t) {
      if (ec) {
        self->close();
        return;
      }
      self->drain();
    });
  }
  void close() {
    boost::system::error_code ec;
    timer_.cancel();
    socket_.close(ec);
  }
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::string text_;
  int* lingering_;
  char buf_[512];
};

}  // namespace

Entrypoint::Entrypoint(Worker& worker, std::shared_ptr<EntrypointShared> shared)
    : split(std::make_shared<ActiveSplit>()),
      config(std::make_shared<EntrypointConfig>()),
      worker_(worker),
      shared_(std::move(shared)),
      acceptor_(worker.io()) {}

void Entrypoint::listenOn(int fd, bool distribute) {
  boost::system::error_code ec;
  acceptor_.assign(tcp::v4(), fd, ec);
  if (ec) {
    ::close(fd);
    return;
  }
  distribute_ = distribute;
  accept();
}

void Entrypoint::close() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

void Entrypoint::accept() {
  acceptor_.async_accept([self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
    if (!ec && !self->worker_.stopping()) {
      size_t n = self->worker_.plane().workerCount();
      size_t k = self->distribute_ && n > 1 ? self->nextWorker_++ % n : self->worker_.index();
      if (k == self->worker_.index()) {
        self->serve(std::move(socket));
      } else {
        // Hand the descriptor to worker k, which serves it on its own thread.
        int fd = socket.release(ec);
        if (!ec) self->worker_.plane().worker(k).adopt(self->name(), fd);
      }
    }
    self->accept();
  });
}

void Entrypoint::serve(tcp::socket socket) {
  const auto cfg = config;
  if (shared_->connections.fetch_add(1, std::memory_order_relaxed) >=
      static_cast<int64_t>(cfg->limits.maxConnections)) {
    shared_->connections.fetch_sub(1, std::memory_order_relaxed);
    refuse(std::move(socket));
    return;
  }
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  std::make_shared<ClientSession>(worker_, shared_from_this(), std::move(socket), cfg)->start();
}

void Entrypoint::refuse(tcp::socket socket) {
  worker_.noteRefused();
  boost::system::error_code ignored;
  if (config->tls || worker_.lingering() >= 256) {
    socket.close(ignored);  // no plain-text answer on a TLS port; no unbounded lingering
    return;
  }
  std::string body = "too many connections to entry point " + name() + "\n";
  std::string text = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\nConnection: close\r\nRetry-After: 1\r\n\r\n" + body;
  std::make_shared<Refusal>(std::move(socket), std::move(text), &worker_.lingeringCount())->start();
}

}  // namespace ramp::router
