// DataPlane.h — everything the router does on its io thread: entry points,
// backends and their connection pools, per-fleet counters, open client
// sessions, deadlines.
//
// Single-threaded by design: every member is touched only from the thread
// running the io_context, so the hot path takes no lock. Configuration
// changes arrive on the same thread (the admin API runs on it too) and swap
// an entry point's ActiveSplit pointer. Deadlines are enforced by one coarse
// 250 ms tick over open sessions instead of a timer per operation.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/Clock.h"
#include "core/Result.h"
#include "router/Entrypoint.h"
#include "router/FleetCounters.h"
#include "router/RouteTable.h"

namespace ramp::router {

class ClientSession;

struct DataPlaneOptions {
  Millis connectTimeout{3000};
  Millis responseTimeout{60000};   // no response byte for this long: 504
  Millis clientIdle{60000};        // keep-alive idle client connections
  Millis clientHead{10000};        // a started request head must complete within
  Millis clientWrite{60000};       // a client must accept response bytes within
  Millis poolIdle{4000};           // router closes idle backend connections after this
  Millis freshForUnsafe{1000};     // non-idempotent requests reuse only connections used this recently
  Millis backendDownFor{1000};     // after a refused connect, prefer other instances this long
  uint64_t maxRequestBody = 16u << 20;  // requests are buffered before forwarding (413 above)
  Millis shutdownGrace{10000};     // SIGTERM: in-flight requests get this long
};

class DataPlane {
 public:
  DataPlane(boost::asio::io_context& io, Clock& clock, DataPlaneOptions options = {});
  ~DataPlane();

  // Creates the entry point if needed and makes it listen on 127.0.0.1:port
  // (0 = a free port). Returns the bound port.
  Result<int> listen(const std::string& name, int port, const std::string& bindAddress = "127.0.0.1",
                     bool reusePort = false);
  // Routes the entry point by `split` from the next request on.
  Status apply(const std::string& name, const SplitRoute& split, uint64_t generation);
  void remove(const std::string& name);
  std::shared_ptr<Entrypoint> find(const std::string& name) const;

  // Counters of (entrypoint, fleet), created on first sight and kept.
  std::shared_ptr<FleetCounters> counters(const std::string& entrypoint, const std::string& fleet);
  const std::map<std::pair<std::string, std::string>, std::shared_ptr<FleetCounters>>& allCounters() const {
    return counters_;
  }
  // Current weight of a fleet (0 when not in the split).
  int weightOf(const std::string& entrypoint, const std::string& fleet) const;

  // Closes acceptors and idle client connections; busy ones close after
  // their response. `done` runs when no session is left or after the grace.
  void beginShutdown(std::function<void()> done);
  bool stopping() const { return stopping_; }

  boost::asio::io_context& io() { return io_; }
  Clock& clock() { return clock_; }
  const DataPlaneOptions& options() const { return options_; }

  void attach(ClientSession* s) { sessions_.insert(s); }
  void detach(ClientSession* s);
  size_t sessionCount() const { return sessions_.size(); }

 private:
  Result<std::shared_ptr<Backend>> backend(const std::string& address);
  void refreshActiveBackends();
  void tick();

  boost::asio::io_context& io_;
  Clock& clock_;
  DataPlaneOptions options_;
  std::map<std::string, std::shared_ptr<Entrypoint>> entrypoints_;
  std::unordered_map<std::string, std::shared_ptr<Backend>> backends_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<FleetCounters>> counters_;
  std::unordered_set<ClientSession*> sessions_;
  uint64_t countersSerial_ = 0;
  boost::asio::steady_timer ticker_;
  bool stopping_ = false;
  std::function<void()> onDrained_;
  MonoTime shutdownDeadline_{};
};

}  // namespace ramp::router
