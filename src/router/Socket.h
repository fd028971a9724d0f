// Socket.h — the router's TCP socket and acceptor types: bound to an
// io_context's own executor (every socket belongs to one worker's
// io_context), which keeps sockets and their pending operations smaller
// and cheaper to dispatch than Asio's type-erased any_io_executor default.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/version.hpp>

namespace ramp::router {

class Socket : public boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type> {
 public:
  using basic_stream_socket::basic_stream_socket;

  // Takes over a descriptor the router accepted itself (accept4 with
  // SOCK_NONBLOCK; never duplicated). Asio assumes an assigned descriptor
  // may be blocking and shared, so it would set non-blocking mode again
  // (an ioctl on the first operation) and remove it from epoll before
  // closing it (an epoll_ctl): two system calls per connection that close()
  // makes needless. Telling it what is known saves them (Boost 1.74's
  // reactive socket state; other versions keep Asio's default).
  void assignAccepted(const boost::asio::ip::tcp& protocol, int fd, boost::system::error_code& ec) {
    assign(protocol, fd, ec);
#if BOOST_VERSION == 107400
    if (!ec) {
      namespace ops = boost::asio::detail::socket_ops;
      auto& impl = this->impl_.get_implementation();
      impl.state_ = static_cast<ops::state_type>((impl.state_ & ~ops::possible_dup) | ops::internal_non_blocking);
    }
#endif
  }
};

using Acceptor = boost::asio::basic_socket_acceptor<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;

}  // namespace ramp::router
