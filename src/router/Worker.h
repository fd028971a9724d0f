// Worker.h — one io thread of the router: its io_context, its view of
// every entry point (listener, split, settings), its backend connection
// pools, its client sessions, and a 250 ms tick that enforces deadlines
// (one coarse tick over open sessions instead of a timer per operation),
// and its park set: an epoll set of its own holding the descriptors of idle
// connections taken out of Asio's reactor (no reactor entry and no pending
// operation per idle connection); the set itself is watched by one Asio
// wait.
//
// Everything here is touched only from this worker's thread, so the hot
// path takes no lock. The admin thread changes configuration through
// DataPlane, which posts the change to every worker and waits until each
// has applied it. Shared with other threads: the SplitPlan (immutable, plus
// the deck's atomic counter), counters (this worker writes only its shard)
// and EntrypointShared's connection count.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/Clock.h"
#include "core/Result.h"
#include "router/Entrypoint.h"

namespace ramp::router {

class ClientSession;
struct ClientExchange;
class DataPlane;
struct DataPlaneOptions;

class Worker {
 public:
  Worker(DataPlane& plane, size_t index);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  boost::asio::io_context& io() { return io_; }
  size_t index() const { return index_; }
  DataPlane& plane() { return plane_; }
  Clock& clock();
  const DataPlaneOptions& options() const;

  // Configuration, on this worker's thread (DataPlane posts these).
  void listenOn(const std::shared_ptr<EntrypointShared>& shared, int fd, bool distribute);
  void configure(const std::shared_ptr<EntrypointShared>& shared, std::shared_ptr<const EntrypointConfig> config);
  void apply(const std::string& name, const std::shared_ptr<const SplitPlan>& plan);
  void remove(const std::string& name);
  std::shared_ptr<Entrypoint> find(const std::string& name) const;

  // A connection another worker accepted for `name` (thread-safe: posts).
  void adopt(const std::string& name, int fd);

  // Parks `fd` for session `s`: s->unpark() runs once when it is readable
  // (or closed). rearm: fd is in the set already (parked before). False:
  // the set is unusable (the caller waits through Asio instead).
  bool park(ClientSession* s, int fd, bool rearm);

  // The pool of one backend address (made on first use).
  std::shared_ptr<Backend> backend(const std::string& address);

  // Warm exchange state and read buffers for new connections: a
  // connection per request does not allocate them each time. Bounded.
  std::unique_ptr<ClientExchange> takeExchange();
  void giveExchange(std::unique_ptr<ClientExchange> x);
  std::vector<char> takeBuffer();
  void giveBuffer(std::vector<char> b);
  // A keep-alive connection may keep its input buffer while idle (and have
  // its next request read into it by the reactor) while the buffers so
  // kept and the pool's spares together number fewer than the pool's bound
  // (kSpares, 64): idle connections and the pool then hold no more buffers
  // than the pool alone would (a parked one's buffer always fits back in
  // the pool). False: wait without one.
  bool takeIdleReader() {
    if (idleReaders_ + spareBuffers_.size() >= kSpares) return false;
    ++idleReaders_;
    return true;
  }
  void giveIdleReader() { --idleReaders_; }
  static constexpr size_t kSpares = 64;  // per worker: spare exchanges, spare buffers (each)

  void attach(ClientSession* s);
  void detach(ClientSession* s);
  size_t sessionCount() const { return sessionCount_.load(std::memory_order_relaxed); }  // any thread

  // Closes listeners and idle sessions; busy ones close after their
  // exchange. `drained` runs (on this thread) when none is left or the
  // grace has passed.
  void beginShutdown(std::function<void()> drained);
  bool stopping() const { return stopping_; }

  void noteRefused() { refused_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t refused() const { return refused_.load(std::memory_order_relaxed); }  // any thread
  int lingering() const { return lingering_; }
  int& lingeringCount() { return lingering_; }

 private:
  std::shared_ptr<Entrypoint> ensure(const std::shared_ptr<EntrypointShared>& shared);
  void refreshActiveBackends();
  void tick();
  void watchParked();
  void finishShutdown();

  DataPlane& plane_;
  size_t index_;
  // Before io_: still alive while io_'s pending handlers are destroyed.
  bool dying_ = false;
  int lingering_ = 0;
  size_t idleReaders_ = 0;  // sessions waiting idle with their input buffer (takeIdleReader)
  std::vector<std::unique_ptr<ClientExchange>> spareExchanges_;
  std::vector<std::vector<char>> spareBuffers_;
  boost::asio::io_context io_;
  std::map<std::string, std::shared_ptr<Entrypoint>> entrypoints_;
  std::unordered_map<std::string, std::shared_ptr<Backend>> backends_;
  // Open sessions: an intrusive list (two pointers per session, no node allocation).
  ClientSession* first_ = nullptr;
  std::atomic<size_t> sessionCount_{0};
  boost::asio::steady_timer ticker_;
  boost::asio::posix::stream_descriptor parkWatch_;  // the park set's epoll descriptor
  bool stopping_ = false;
  std::function<void()> onDrained_;
  MonoTime shutdownDeadline_{};
  std::atomic<uint64_t> refused_{0};
};

}  // namespace ramp::router
