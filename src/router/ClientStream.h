// ClientStream.h — a client connection's byte stream: plain TCP, or TLS
// terminated by OpenSSL directly on the non-blocking socket.
//
// TLS runs without Asio's SSL engine (which keeps two 17 KiB buffers per
// connection): SSL_read/SSL_write work on the socket itself, and when
// OpenSSL wants the socket readable or writable the stream waits with
// socket.async_wait and tries again. Contexts set SSL_MODE_RELEASE_BUFFERS,
// so an idle TLS connection holds no record buffers.
//
// A plain connection may start (and, idle, go back to) unregistered with
// Asio: the session then holds the bare descriptor (ClientSession's parking)
// and attach() hands it to the socket.
//
// Operations complete through the socket's executor, never inline. One
// read and one write may be outstanding at the same time (upgraded
// connections pump both ways); OpenSSL is only ever called from the io
// thread, so its calls never overlap. Not thread-safe.
//
// Small on purpose (an idle connection costs little): a plain connection
// holds its socket (bound to the io_context's own executor type, not the
// type-erased any_io_executor) and a null pointer; TLS state, with its
// write scratch and whatever must outlive the handshake, lives apart.
#pragma once

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include <sys/ioctl.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "router/Socket.h"

namespace ramp::router {

// Bytes that arrived on `fd` and were not read yet (0 if unknown).
inline size_t bytesAvailable(int fd) {
  int n = 0;
  if (::ioctl(fd, FIONREAD, &n) != 0 || n < 0) n = 0;
  return static_cast<size_t>(n);
}

class ClientStream {
 public:
  using tcp = boost::asio::ip::tcp;
  using error_code = boost::system::error_code;

  explicit ClientStream(Socket s) : socket_(std::move(s)) {}
  ClientStream(const ClientStream&) = delete;
  ClientStream& operator=(const ClientStream&) = delete;

  // Terminates TLS on this connection with `ssl` (owned from now on);
  // `keep` is held as long as the connection (what the SSL object's
  // callbacks point to).
  void useTls(SSL* ssl, std::shared_ptr<const void> keep) {
    tls_ = std::make_unique<Tls>();
    tls_->ssl = ssl;
    tls_->keep = std::move(keep);
    error_code ec;
    socket_.non_blocking(true, ec);
    SSL_set_fd(ssl, socket_.native_handle());
    SSL_set_accept_state(ssl);
  }
  bool tls() const { return tls_ != nullptr; }
  SSL* ssl() const { return tls_ ? tls_->ssl : nullptr; }
  Socket& socket() { return socket_; }
  bool isOpen() const { return socket_.is_open(); }

  // Bytes that arrived and were not read yet (0 if unknown).
  size_t available() {
    if (!socket_.is_open()) return 0;
    return bytesAvailable(socket_.native_handle()) + (ssl() ? static_cast<size_t>(SSL_pending(ssl())) : 0);
  }

  // TLS handshake (plain: completes at once). h(ec)
  template <class H>
  void handshake(H&& h) {
    if (!ssl()) {
      post(std::forward<H>(h), error_code());
      return;
    }
    retry([this] { return SSL_do_handshake(ssl()); },
          [h = std::forward<H>(h)](error_code ec, size_t) mutable { h(ec); });
  }

  // Completes when a read would find bytes (or the peer closed). h(ec)
  template <class H>
  void waitReadable(H&& h) {
    if (ssl() && SSL_has_pending(ssl())) {
      post(std::forward<H>(h), error_code());
      return;
    }
    socket_.async_wait(tcp::socket::wait_read, std::forward<H>(h));
  }

  // h(ec, n); eof as boost::asio::error::eof.
  template <class H>
  void readSome(char* p, size_t n, H&& h) {
    if (!ssl()) {
      socket_.async_read_some(boost::asio::buffer(p, n), std::forward<H>(h));
      return;
    }
    retry(
        [this, p, n] {
          size_t got = 0;
          int r = SSL_read_ex(ssl(), p, n, &got);
          return r == 1 ? static_cast<int>(got) : (r > 0 ? -1 : r);
        },
        std::forward<H>(h));
  }

  // Writes both buffers completely. h(ec, total)
  template <class H>
  void write(std::array<boost::asio::const_buffer, 2> bufs, H&& h) {
    if (!ssl()) {
      if (bufs[1].size() == 0) {
        boost::asio::async_write(socket_, bufs[0], std::forward<H>(h));  // one buffer: send(), not sendmsg()
      } else {
        boost::asio::async_write(socket_, bufs, std::forward<H>(h));
      }
      return;
    }
    // One TLS record for small messages (a head and a short body).
    size_t total = bufs[0].size() + bufs[1].size();
    if (bufs[0].size() > 0 && bufs[1].size() > 0 && total <= 16 * 1024) {
      std::string& scratch = tls_->scratch;
      scratch.assign(static_cast<const char*>(bufs[0].data()), bufs[0].size());
      scratch.append(static_cast<const char*>(bufs[1].data()), bufs[1].size());
      bufs = {boost::asio::buffer(scratch), boost::asio::const_buffer()};
    }
    writeTls(bufs, 0, 0, std::forward<H>(h));
  }

  // Stop sending (TLS: a close_notify, best effort), keep reading.
  void shutdownSend() {
    if (ssl() && SSL_is_init_finished(ssl())) {
      (void)SSL_shutdown(ssl());
      ERR_clear_error();
    }
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
  }
  void close() {
    error_code ec;
    socket_.close(ec);
  }

 private:
  template <class H, class... A>
  void post(H&& h, A... args) {
    boost::asio::post(socket_.get_executor(),
                      [h = std::forward<H>(h), args...]() mutable { h(args...); });
  }

  // Runs op() (an SSL call returning > 0 bytes or <= 0 as OpenSSL does)
  // until it succeeds or fails, waiting on the socket in between.
  template <class Op, class H>
  void retry(Op op, H&& h) {
    ERR_clear_error();
    int r = op();
    if (r > 0) {
      post(std::forward<H>(h), error_code(), static_cast<size_t>(r));
      return;
    }
    int e = SSL_get_error(ssl(), r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      auto what = e == SSL_ERROR_WANT_READ ? tcp::socket::wait_read : tcp::socket::wait_write;
      socket_.async_wait(what, [this, op, h = std::forward<H>(h)](error_code ec) mutable {
        if (ec) {
          h(ec, size_t{0});
          return;
        }
        retry(op, std::move(h));
      });
      return;
    }
    error_code ec;
    // Contexts set SSL_OP_IGNORE_UNEXPECTED_EOF: a peer closing without
    // close_notify reads as ZERO_RETURN, i.e. end of stream.
    if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && errno == 0)) {
      ec = boost::asio::error::eof;
    } else if (e == SSL_ERROR_SYSCALL) {
      ec = error_code(errno, boost::system::system_category());
    } else {
      ec = boost::asio::error::connection_aborted;  // TLS protocol error
    }
    ERR_clear_error();
    post(std::forward<H>(h), ec, size_t{0});
  }

  template <class H>
  void writeTls(std::array<boost::asio::const_buffer, 2> bufs, size_t index, size_t done, H&& h) {
    while (index < 2 && bufs[index].size() == 0) ++index;
    if (index == 2) {
      post(std::forward<H>(h), error_code(), done);
      return;
    }
    const char* p = static_cast<const char*>(bufs[index].data());
    size_t n = bufs[index].size();
    retry(
        [this, p, n] {
          size_t wrote = 0;
          int r = SSL_write_ex(ssl(), p, n, &wrote);
          return r == 1 ? static_cast<int>(wrote) : (r > 0 ? -1 : r);
        },
        [this, bufs, index, done, h = std::forward<H>(h)](error_code ec, size_t wrote) mutable {
          if (ec) {
            h(ec, done);
            return;
          }
          auto next = bufs;
          next[index] = next[index] + wrote;
          writeTls(next, index, done + wrote, std::move(h));
        });
  }

  struct Tls {
    SSL* ssl = nullptr;
    std::string scratch;              // one record for a head and a short body
    std::shared_ptr<const void> keep;
    ~Tls() {
      if (!ssl) return;
      // OpenSSL forgets the session of an SSL freed before it sent its
      // close_notify (removed from the cache, marked not resumable): a
      // client that closed first, or went away, could then never resume
      // its TLS 1.2 session id. A failed handshake or a fatal alert has
      // removed it already; a connection that simply ended keeps it.
      if (SSL_is_init_finished(ssl)) SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_SENT_SHUTDOWN);
      SSL_free(ssl);
    }
  };

  Socket socket_;
  std::unique_ptr<Tls> tls_;  // null: plain
};

}  // namespace ramp::router
