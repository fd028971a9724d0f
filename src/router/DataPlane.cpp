#include "router/DataPlane.h"

#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>

#include "router/Worker.h"

namespace ramp::router {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

size_t defaultThreads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : std::min<size_t>(n, 64);
}

DataPlane::DataPlane(asio::io_context& control, Clock& clock, DataPlaneOptions options)
    : control_(control), clock_(clock), options_(options) {
  if (options_.threads < 1) options_.threads = 1;
  for (size_t k = 0; k < options_.threads; ++k) workers_.push_back(std::make_unique<Worker>(*this, k));
}

DataPlane::~DataPlane() { stop(); }

void DataPlane::start() {
  if (!threads_.empty()) return;
  for (auto& w : workers_) threads_.emplace_back([io = &w->io()] { io->run(); });
}

void DataPlane::stop() {
  for (auto& w : workers_) w->io().stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void DataPlane::everyWorker(const std::function<void(Worker&)>& fn) {
  if (threads_.empty()) {
    for (auto& w : workers_) fn(*w);
    return;
  }
  struct Wait {
    std::mutex m;
    std::condition_variable cv;
    size_t left = 0;
  };
  auto wait = std::make_shared<Wait>();
  wait->left = workers_.size();
  for (auto& w : workers_) {
    asio::post(w->io(), [wait, fn, worker = w.get()] {
      fn(*worker);
      std::lock_guard lock(wait->m);
      if (--wait->left == 0) wait->cv.notify_all();
    });
  }
  std::unique_lock lock(wait->m);
  wait->cv.wait_for(lock, std::chrono::seconds(10), [&] { return wait->left == 0; });
}

DataPlane::EntrypointEntry& DataPlane::entry(const std::string& name) {
  auto& e = entrypoints_[name];
  if (!e.shared) {
    e.shared = std::make_shared<EntrypointShared>(name);
    auto shared = e.shared;
    everyWorker([shared](Worker& w) { w.configure(shared, std::make_shared<EntrypointConfig>()); });
  }
  return e;
}

Result<int> DataPlane::listen(const std::string& name, int port, const std::string& bindAddress) {
  auto& e = entry(name);
  if (e.listening) return e.port;
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(bindAddress, ec);
  if (ec) return invalid("not an IP address: " + bindAddress, "listen");
  // One socket per worker (SO_REUSEPORT), or one for all.
  size_t sockets = options_.accept == AcceptMode::kReusePort ? workers_.size() : 1;
  std::vector<int> fds;
  int bound = port;
  auto fail = [&](const std::string& what) -> Result<int> {
    for (int fd : fds) ::close(fd);
    return unavailable("cannot listen on " + bindAddress + ":" + std::to_string(port) + ": " + what, name);
  };
  for (size_t k = 0; k < sockets; ++k) {
    tcp::acceptor a(control_);
    tcp::endpoint at(addr, static_cast<unsigned short>(bound));
    a.open(at.protocol(), ec);
    if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
    // Accepted connections inherit TCP_NODELAY from the listener (Linux):
    // no setsockopt per connection.
    if (!ec) a.set_option(tcp::no_delay(true), ec);
    if (!ec && sockets > 1) {
      int one = 1;
      if (::setsockopt(a.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
        ec = boost::system::error_code(errno, boost::system::system_category());
    }
    if (!ec) a.bind(at, ec);
    if (!ec) a.listen(4096, ec);
    if (!ec && bound == 0) bound = a.local_endpoint(ec).port();
    if (ec) return fail(ec.message());
    int fd = a.release(ec);
    if (ec) return fail(ec.message());
    fds.push_back(fd);
  }
  e.listening = true;
  e.port = bound;
  auto shared = e.shared;
  bool distribute = sockets == 1 && workers_.size() > 1;
  everyWorker([shared, fds, distribute](Worker& w) {
    if (w.index() < fds.size()) w.listenOn(shared, fds[w.index()], distribute);
  });
  return bound;
}

bool DataPlane::listening(const std::string& name) const {
  auto it = entrypoints_.find(name);
  return it != entrypoints_.end() && it->second.listening;
}

int64_t DataPlane::connections(const std::string& name) const {
  auto it = entrypoints_.find(name);
  return it == entrypoints_.end() ? 0 : it->second.shared->connections.load(std::memory_order_relaxed);
}

Status DataPlane::configure(const std::string& name, const EntrypointLimits& limits,
                            std::shared_ptr<TlsCertificates> tls) {
  auto cfg = std::make_shared<EntrypointConfig>();
  cfg->limits = limits;
  cfg->tls = std::move(tls);
  auto shared = entry(name).shared;
  std::shared_ptr<const EntrypointConfig> c = cfg;
  everyWorker([shared, c](Worker& w) { w.configure(shared, c); });
  return ok();
}

std::shared_ptr<FleetCounters> DataPlane::counters(const std::string& entrypoint, const std::string& fleet) {
  auto& c = counters_[{entrypoint, fleet}];
  if (!c) c = std::make_shared<FleetCounters>(entrypoint, fleet, workers_.size(), ++countersSerial_, clock_.now());
  return c;
}

Status DataPlane::apply(const std::string& name, const SplitRoute& split, uint64_t generation) {
  auto it = entrypoints_.find(name);
  if (it == entrypoints_.end()) return notFound("no such entry point", name);
  auto plan = std::make_shared<SplitPlan>();
  plan->generation = generation;
  std::vector<int> weights;
  for (const auto& f : split.fleets) {
    for (const auto& a : f.backends)
      if (auto ep = Backend::parseAddress(a); !ep) return std::unexpected(ep.error());
    plan->fleets.push_back(SplitPlan::Fleet{f.id, f.weight, f.backends, counters(name, f.id)});
    weights.push_back(f.backends.empty() ? 0 : f.weight);
  }
  plan->deck = std::make_shared<WeightedDeck>(weights, WeightedDeck::randomSeed());
  if (split.pin) {
    plan->pin = split.pin;
    plan->pinFleet = split.indexOf(split.pin->fleet);
  }
  if (!split.stable.empty()) plan->stableFleet = split.indexOf(split.stable);
  it->second.split = split;
  std::shared_ptr<const SplitPlan> p = plan;
  everyWorker([name, p](Worker& w) { w.apply(name, p); });
  return ok();
}

void DataPlane::remove(const std::string& name) {
  auto it = entrypoints_.find(name);
  if (it == entrypoints_.end()) return;
  entrypoints_.erase(it);
  everyWorker([name](Worker& w) { w.remove(name); });
  // Its counters go too: made again, the entry point counts from zero (a new reset serial).
  std::erase_if(counters_, [&](const auto& kv) { return kv.first.first == name; });
}

int DataPlane::weightOf(const std::string& entrypoint, const std::string& fleet) const {
  auto it = entrypoints_.find(entrypoint);
  if (it == entrypoints_.end() || !it->second.split) return 0;
  int i = it->second.split->indexOf(fleet);
  return i < 0 ? 0 : it->second.split->fleets[static_cast<size_t>(i)].weight;
}

uint64_t DataPlane::refused() const {
  uint64_t total = 0;
  for (const auto& w : workers_) total += w->refused();
  return total;
}

size_t DataPlane::openSessions() const {
  size_t total = 0;
  for (const auto& w : workers_) total += w->sessionCount();
  return total;
}

void DataPlane::beginShutdown(std::function<void()> done) {
  stopping_ = true;
  auto left = std::make_shared<std::atomic<size_t>>(workers_.size());
  auto finish = std::make_shared<std::function<void()>>(std::move(done));
  for (auto& w : workers_) {
    asio::post(w->io(), [this, left, finish, worker = w.get()] {
      worker->beginShutdown([this, left, finish] {
        if (left->fetch_sub(1) == 1) asio::post(control_, [finish] { (*finish)(); });
      });
    });
  }
}

}  // namespace ramp::router
