// Entrypoint.h — one listening port of the router (e.g. crawler.prod.local
// on 127.0.0.1:41234) and the split it routes by.
//
// Holds the acceptor and the current ActiveSplit; each accepted connection
// becomes a ClientSession. Removing an entry point closes the acceptor; open
// sessions finish their current exchange and then close.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "core/Result.h"
#include "router/ActiveSplit.h"

namespace ramp::router {

class DataPlane;

class Entrypoint : public std::enable_shared_from_this<Entrypoint> {
 public:
  Entrypoint(DataPlane& plane, std::string name);
  // Binds 127.0.0.1:port (0 = any free port) with SO_REUSEADDR and starts accepting.
  Status listen(const boost::asio::ip::tcp::endpoint& at);
  int port() const { return port_; }
  const std::string& name() const { return name_; }
  bool listening() const { return acceptor_.is_open(); }
  void close();

  std::shared_ptr<ActiveSplit> split;
  bool removed = false;
  bool reusePort = false;  // SO_REUSEPORT (standalone mode with several threads)

 private:
  void accept();
  DataPlane& plane_;
  std::string name_;
  boost::asio::ip::tcp::acceptor acceptor_;
  int port_ = 0;
};

}  // namespace ramp::router
