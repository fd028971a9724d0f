#include "router/Entrypoint.h"

#include <sys/socket.h>

#include <cerrno>

#include <boost/asio/socket_base.hpp>

#include "router/ClientSession.h"
#include "router/DataPlane.h"

namespace ramp::router {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Entrypoint::Entrypoint(DataPlane& plane, std::string name)
    : split(std::make_shared<ActiveSplit>()), plane_(plane), name_(std::move(name)), acceptor_(plane.io()) {}

Status Entrypoint::listen(const tcp::endpoint& at) {
  boost::system::error_code ec;
  acceptor_.open(at.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && reusePort) {
    int one = 1;
    if (::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
      ec = boost::system::error_code(errno, boost::system::system_category());
  }
  if (!ec) acceptor_.bind(at, ec);
  if (!ec) acceptor_.listen(1024, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return unavailable("cannot listen on " + at.address().to_string() + ":" + std::to_string(at.port()) + ": " +
                           ec.message(),
                       name_);
  }
  port_ = acceptor_.local_endpoint(ec).port();
  accept();
  return ok();
}

void Entrypoint::close() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

void Entrypoint::accept() {
  acceptor_.async_accept([self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
    if (!ec && !self->plane_.stopping()) {
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<ClientSession>(self->plane_, self, std::move(socket))->start();
    }
    self->accept();
  });
}

}  // namespace ramp::router
