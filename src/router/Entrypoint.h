// Entrypoint.h — one entry point (e.g. crawler.prod.local on
// 127.0.0.1:41234) as one io thread sees it: its listening socket (each
// thread its own with SO_REUSEPORT, or only thread 0's, which hands
// connections round robin to the others), the split it routes by and the
// settings new connections get.
//
// EntrypointShared is the part all threads share (the open-connection
// count that max_connections bounds). Removing an entry point closes the
// listener; open sessions finish their current exchange and then close.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/Result.h"
#include "router/ActiveSplit.h"
#include "router/EntrypointSettings.h"
#include "router/Socket.h"
#include "router/TlsCertificates.h"

namespace ramp::router {

class Worker;

struct EntrypointShared {
  explicit EntrypointShared(std::string n) : name(std::move(n)) {}
  const std::string name;
  std::atomic<int64_t> connections{0};  // open client connections, all threads
};

// What new connections of the entry point get (immutable, shared).
struct EntrypointConfig {
  EntrypointLimits limits;
  std::shared_ptr<TlsCertificates> tls;  // null: plain HTTP
};

class Entrypoint : public std::enable_shared_from_this<Entrypoint> {
 public:
  Entrypoint(Worker& worker, std::shared_ptr<EntrypointShared> shared);
  // Accepts on this already bound and listening socket. distribute: hand
  // accepted connections round robin to every io thread.
  void listenOn(int fd, bool distribute);
  const std::string& name() const { return shared_->name; }
  EntrypointShared& shared() { return *shared_; }
  bool listening() const { return acceptor_.is_open(); }
  void close();
  // A connection accepted (maybe by another thread) for this entry point:
  // its descriptor, non-blocking, owned from now on.
  void serve(int fd);
  // The listener's protocol (accepted descriptors are handed to sockets of it).
  boost::asio::ip::tcp protocol() const { return protocol_; }

  std::shared_ptr<ActiveSplit> split;
  std::shared_ptr<const EntrypointConfig> config;
  bool removed = false;

 private:
  // Waits until the listener is readable, then accepts what is waiting
  // (accept4 in a loop, a batch at a time) without an Asio operation per
  // connection.
  void accept();
  void acceptSome();
  void refuse(int fd);
  Worker& worker_;
  std::shared_ptr<EntrypointShared> shared_;
  Acceptor acceptor_;
  boost::asio::steady_timer retry_;  // accepting paused (out of descriptors or memory)
  boost::asio::ip::tcp protocol_ = boost::asio::ip::tcp::v4();
  bool distribute_ = false;
  size_t nextWorker_ = 0;
};

}  // namespace ramp::router
