// DataPlane.h — the router's data plane as a whole: N io threads
// (Worker), the entry points they serve, and the per-fleet counters they
// share. Its methods run on the admin ("control") thread — RouteState and
// the admin API live there — and change configuration by posting to every
// worker and waiting until each has applied it (bounded), so an admin
// answer means the change is live on every thread for the next request.
// The control thread never serves traffic; workers never wait for it.
//
// Listening (AcceptMode): kSingle (the default) binds one socket that
// worker 0 accepts on and hands connections round robin to every worker,
// so each worker holds an equal share of long-lived connections;
// kReusePort binds one socket per worker on the same port (SO_REUSEPORT,
// the kernel spreads connections by a hash of their addresses, unevenly
// for a few long-lived ones). docs/decisions.md has the measurements.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "core/Clock.h"
#include "core/Result.h"
#include "router/Entrypoint.h"
#include "router/EntrypointSettings.h"
#include "router/FleetCounters.h"
#include "router/RouteTable.h"

namespace ramp::router {

class Worker;

enum class AcceptMode { kSingle, kReusePort };

struct DataPlaneOptions {
  size_t threads = 1;
  AcceptMode accept = AcceptMode::kSingle;
  Millis poolIdle{4000};         // router closes idle backend connections after this
  Millis freshForUnsafe{1000};   // non-idempotent (or streamed) requests reuse only connections used this recently
  Millis peekAfterIdle{250};     // retriable requests peek a pooled connection only when it was idle this long (docs/router.md)
  Millis backendDownFor{1000};   // after a refused connect, prefer other instances this long
  Millis shutdownGrace{10000};   // SIGTERM: in-flight requests get this long
  Millis idleRelease{1000};      // an idle keep-alive connection leaves the reactor for the park set after this
  size_t upstreamBuffer = 32 * 1024;  // bytes per direction read at once while streaming
};

// Default thread count: the machine's cores.
size_t defaultThreads();

class DataPlane {
 public:
  DataPlane(boost::asio::io_context& control, Clock& clock, DataPlaneOptions options = {});
  ~DataPlane();
  DataPlane(const DataPlane&) = delete;
  DataPlane& operator=(const DataPlane&) = delete;

  // Starts the worker threads (configuration made before runs directly).
  void start();
  // Stops and joins the worker threads (idempotent).
  void stop();

  // Creates the entry point if needed and makes it listen on
  // bindAddress:port (0 = a free port). Returns the bound port.
  Result<int> listen(const std::string& name, int port, const std::string& bindAddress = "127.0.0.1");
  // Settings for new connections (timeouts and limits apply to open ones
  // from their next step; TLS to new handshakes). Makes the entry point
  // (not listening) if new, so settings can precede listen().
  Status configure(const std::string& name, const EntrypointLimits& limits, std::shared_ptr<TlsCertificates> tls);
  // Routes the entry point by `split` from the next request on.
  Status apply(const std::string& name, const SplitRoute& split, uint64_t generation);
  void remove(const std::string& name);
  bool listening(const std::string& name) const;
  int64_t connections(const std::string& name) const;

  // Counters of (entrypoint, fleet), made when a split first names the fleet.
  const std::map<std::pair<std::string, std::string>, std::shared_ptr<FleetCounters>>& allCounters() const {
    return counters_;
  }
  // Current weight of a fleet (0 when not in the split).
  int weightOf(const std::string& entrypoint, const std::string& fleet) const;
  // Connections refused over max_connections, all entry points.
  uint64_t refused() const;
  size_t openSessions() const;

  // Closes listeners and idle client connections; busy ones close after
  // their response. `done` runs on the control thread when every worker is
  // drained or after the grace.
  void beginShutdown(std::function<void()> done);
  bool stopping() const { return stopping_; }

  boost::asio::io_context& io() { return control_; }
  Clock& clock() { return clock_; }
  const DataPlaneOptions& options() const { return options_; }
  size_t workerCount() const { return workers_.size(); }
  Worker& worker(size_t k) { return *workers_[k]; }

 private:
  struct EntrypointEntry {
    std::shared_ptr<EntrypointShared> shared;
    bool listening = false;
    int port = 0;
    std::optional<SplitRoute> split;
  };
  EntrypointEntry& entry(const std::string& name);  // made (and known to every worker) if new
  std::shared_ptr<FleetCounters> counters(const std::string& entrypoint, const std::string& fleet);
  // Runs fn on every worker's thread and waits (at most 10 s) until all have.
  void everyWorker(const std::function<void(Worker&)>& fn);

  boost::asio::io_context& control_;
  Clock& clock_;
  DataPlaneOptions options_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::map<std::string, EntrypointEntry> entrypoints_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<FleetCounters>> counters_;
  uint64_t countersSerial_ = 0;
  bool stopping_ = false;
};

}  // namespace ramp::router
