#include "router/Entrypoint.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

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
  Refusal(Socket s, std::string text, int* lingering)
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
  Socket socket_;
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
      acceptor_(worker.io()),
      retry_(worker.io()) {}

void Entrypoint::listenOn(int fd, bool distribute) {
  boost::system::error_code ec;
  sockaddr_storage at{};
  socklen_t len = sizeof at;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&at), &len) == 0 && at.ss_family == AF_INET6) protocol_ = tcp::v6();
  acceptor_.assign(protocol_, fd, ec);
  if (!ec) acceptor_.native_non_blocking(true, ec);
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
  retry_.cancel();
}

void Entrypoint::accept() {
  acceptor_.async_wait(Acceptor::wait_read, [self = shared_from_this()](boost::system::error_code ec) {
    if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
    self->acceptSome();
  });
}

void Entrypoint::acceptSome() {
  constexpr int kBatch = 64;
  for (int i = 0; i < kBatch; ++i) {
    int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        accept();  // nothing waiting: back to the reactor
        return;
      }
      // Out of descriptors or memory: the listener stays readable; look again shortly.
      retry_.expires_after(std::chrono::milliseconds(20));
      retry_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec && self->acceptor_.is_open()) self->acceptSome();
      });
      return;
    }
    if (worker_.stopping()) {
      ::close(fd);
      continue;
    }
    size_t n = worker_.plane().workerCount();
    size_t k = distribute_ && n > 1 ? nextWorker_++ % n : worker_.index();
    if (k == worker_.index()) {
      serve(fd);
    } else {
      // Hand the descriptor to worker k, which serves it on its own thread.
      worker_.plane().worker(k).adopt(name(), fd);
    }
  }
  // More may be waiting: let this thread's other work run first.
  asio::post(worker_.io(), [self = shared_from_this()] {
    if (self->acceptor_.is_open()) self->acceptSome();
  });
}

void Entrypoint::serve(int fd) {
  const auto cfg = config;
  if (shared_->connections.fetch_add(1, std::memory_order_relaxed) >=
      static_cast<int64_t>(cfg->limits.maxConnections)) {
    shared_->connections.fetch_sub(1, std::memory_order_relaxed);
    refuse(fd);
    return;
  }
  // TCP_NODELAY comes from the listening socket (DataPlane::listen).
  ClientSession::Ref(new ClientSession(worker_, shared_from_this(), fd, cfg))->start();
}

void Entrypoint::refuse(int fd) {
  worker_.noteRefused();
  if (config->tls || worker_.lingering() >= 256) {
    ::close(fd);  // no plain-text answer on a TLS port; no unbounded lingering
    return;
  }
  Socket socket(worker_.io());
  boost::system::error_code ec;
  socket.assignAccepted(protocol_, fd, ec);
  if (ec) {
    ::close(fd);
    return;
  }
  std::string body = "too many connections to entry point " + name() + "\n";
  std::string text = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\nConnection: close\r\nRetry-After: 1\r\n\r\n" + body;
  std::make_shared<Refusal>(std::move(socket), std::move(text), &worker_.lingeringCount())->start();
}

}  // namespace ramp::router
