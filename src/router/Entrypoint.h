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

#include "core/Result.h"
#include "router/ActiveSplit.h"
#include "router/EntrypointSettings.h"
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
  // A connection accepted (maybe by another thread) for this entry point.
  void serve(boost::asio::ip::tcp::socket socket);

  std::shared_ptr<ActiveSplit> split;
  std::shared_ptr<const EntrypointConfig> config;
  bool removed = false;

 private:
  void accept();
  void refuse(boost::asio::ip::tcp::socket socket);
  Worker& worker_;
  std::shared_ptr<EntrypointShared> shared_;
  boost::asio::ip::tcp::acceptor acceptor_;
  bool distribute_ = false;
  size_t nextWorker_ = 0;
};

}  // namespace ramp::router
