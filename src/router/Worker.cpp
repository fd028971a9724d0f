#include "router/Worker.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <set>

#include <boost/asio/post.hpp>

#include "router/ClientSession.h"
#include "router/DataPlane.h"

namespace ramp::router {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
// One thread runs each worker's io_context and every socket and timer of a
// worker is touched from that thread only (other threads post to it), so
// Asio's per-descriptor locking in the reactor is needless: a mutex lock
// and unlock per operation saved. Posting from other threads stays locked.
constexpr int kIoConcurrency = BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO;
}  // namespace

Worker::Worker(DataPlane& plane, size_t index)
    : plane_(plane), index_(index), io_(kIoConcurrency), ticker_(io_), parkWatch_(io_) {
  int ep = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep >= 0) {
    boost::system::error_code ec;
    parkWatch_.assign(ep, ec);
    if (ec) ::close(ep);
  }
  tick();
  watchParked();
}

Worker::~Worker() {
  // Sessions die with the io_context's pending handlers, after this body:
  // they must not touch this worker any more.
  dying_ = true;
  // Parked sessions are held by the park set alone: close them now.
  for (ClientSession* s = first_; s;) {
    ClientSession* next = s->nextSession;
    s->dropIfParked();
    s = next;
  }
  boost::system::error_code ignored;
  parkWatch_.close(ignored);
  for (auto& [n, ep] : entrypoints_) ep->close();
  for (auto& [a, b] : backends_) b->closeIdle();
  entrypoints_.clear();
  backends_.clear();
  ticker_.cancel();
}

Clock& Worker::clock() { return plane_.clock(); }
const DataPlaneOptions& Worker::options() const { return plane_.options(); }

std::shared_ptr<Entrypoint> Worker::find(const std::string& name) const {
  auto it = entrypoints_.find(name);
  return it == entrypoints_.end() ? nullptr : it->second;
}

std::shared_ptr<Entrypoint> Worker::ensure(const std::shared_ptr<EntrypointShared>& shared) {
  auto& ep = entrypoints_[shared->name];
  if (!ep) ep = std::make_shared<Entrypoint>(*this, shared);
  return ep;
}

void Worker::listenOn(const std::shared_ptr<EntrypointShared>& shared, int fd, bool distribute) {
  auto ep = ensure(shared);
  if (stopping_) {
    ::close(fd);
    return;
  }
  ep->listenOn(fd, distribute);
}

void Worker::configure(const std::shared_ptr<EntrypointShared>& shared, std::shared_ptr<const EntrypointConfig> config) {
  ensure(shared)->config = std::move(config);
}

void Worker::apply(const std::string& name, const std::shared_ptr<const SplitPlan>& plan) {
  auto ep = find(name);
  if (!ep) return;
  auto next = std::make_shared<ActiveSplit>();
  next->plan = plan;
  for (const auto& f : plan->fleets) {
    ActiveFleet af;
    af.plan = &f;
    for (const auto& a : f.backends) af.backends.push_back(backend(a));
    af.shard = &f.counters->shard(index_);
    next->fleets.push_back(std::move(af));
  }
  ep->split = std::move(next);
  refreshActiveBackends();
}

void Worker::remove(const std::string& name) {
  auto it = entrypoints_.find(name);
  if (it == entrypoints_.end()) return;
  it->second->close();
  it->second->removed = true;
  it->second->split = std::make_shared<ActiveSplit>();
  entrypoints_.erase(it);
  refreshActiveBackends();
}

void Worker::adopt(const std::string& name, int fd) {
  asio::post(io_, [this, name, fd] {
    auto ep = find(name);
    if (!ep || stopping_) {
      ::close(fd);
      return;
    }
    ep->serve(fd);
  });
}

std::shared_ptr<Backend> Worker::backend(const std::string& address) {
  auto& b = backends_[address];
  if (!b) b = std::make_shared<Backend>(address, *Backend::parseAddress(address));
  return b;
}

// A backend stays active while some split sends it new requests (a weight
// above 0, or the pinned fleet). Inactive backends lose their idle
// connections now, and get no pooled connections back: draining.
void Worker::refreshActiveBackends() {
  std::set<Backend*> active;
  for (auto& [n, ep] : entrypoints_) {
    const auto& s = *ep->split;
    for (size_t i = 0; i < s.fleets.size(); ++i)
      if (s.takesTraffic(i))
        for (auto& b : s.fleets[i].backends) active.insert(b.get());
  }
  for (auto it = backends_.begin(); it != backends_.end();) {
    Backend* b = it->second.get();
    b->active = active.contains(b);
    if (!b->active) b->closeIdle();
    // Forget backends nobody references any more (sessions hold their own reference).
    if (!b->active && it->second.use_count() == 1) {
      it = backends_.erase(it);
    } else {
      ++it;
    }
  }
}

namespace {
constexpr size_t kSpareBufferMax = 64 * 1024;  // larger read buffers are freed, not kept
}  // namespace

std::unique_ptr<ClientExchange> Worker::takeExchange() {
  std::unique_ptr<ClientExchange> x;
  if (spareExchanges_.empty()) {
    x = std::make_unique<ClientExchange>();
  } else {
    x = std::move(spareExchanges_.back());
    spareExchanges_.pop_back();
  }
  // Serials are per session: one from the exchange's former session means nothing here.
  x->connSerial = 0;
  return x;
}

void Worker::giveExchange(std::unique_ptr<ClientExchange> x) {
  if (dying_ || !x || spareExchanges_.size() >= kSpares) return;
  x->reset();
  if (x->up.capacity() > kSpareBufferMax) x->up.release();
  if (x->reqHead.capacity() > 16 * 1024) std::string().swap(x->reqHead);
  if (x->respHead.capacity() > 16 * 1024) std::string().swap(x->respHead);
  if (x->replyText.capacity() > 16 * 1024) std::string().swap(x->replyText);
  spareExchanges_.push_back(std::move(x));
}

std::vector<char> Worker::takeBuffer() {
  if (spareBuffers_.empty()) return {};
  auto b = std::move(spareBuffers_.back());
  spareBuffers_.pop_back();
  return b;
}

void Worker::giveBuffer(std::vector<char> b) {
  if (dying_ || b.empty() || b.size() > kSpareBufferMax || spareBuffers_.size() >= kSpares) return;
  spareBuffers_.push_back(std::move(b));
}

bool Worker::park(ClientSession* s, int fd, bool rearm) {
  if (!parkWatch_.is_open()) return false;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
  ev.data.ptr = s;
  if (::epoll_ctl(parkWatch_.native_handle(), rearm ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) == 0) return true;
  // Parked before, but the set forgot it (or the other way round): try the other call.
  return ::epoll_ctl(parkWatch_.native_handle(), rearm ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) == 0;
}

void Worker::watchParked() {
  if (!parkWatch_.is_open()) return;
  parkWatch_.async_wait(asio::posix::stream_descriptor::wait_read, [this](boost::system::error_code ec) {
    if (ec || dying_) return;
    // Waiting again before draining: an event that comes meanwhile is not missed.
    watchParked();
    epoll_event ev[128];
    int n;
    do {
      n = ::epoll_wait(parkWatch_.native_handle(), ev, 128, 0);
      for (int i = 0; i < n; ++i) static_cast<ClientSession*>(ev[i].data.ptr)->unpark();
    } while (n == 128);
  });
}

void Worker::attach(ClientSession* s) {
  s->nextSession = first_;
  s->prevSession = nullptr;
  if (first_) first_->prevSession = s;
  first_ = s;
  ++sessionCount_;
}

void Worker::detach(ClientSession* s) {
  if (dying_) return;
  if (s->prevSession) s->prevSession->nextSession = s->nextSession;
  if (s->nextSession) s->nextSession->prevSession = s->prevSession;
  if (first_ == s) first_ = s->nextSession;
  s->prevSession = s->nextSession = nullptr;
  --sessionCount_;
  if (stopping_ && sessionCount_ == 0) finishShutdown();
}

void Worker::beginShutdown(std::function<void()> drained) {
  stopping_ = true;
  onDrained_ = std::move(drained);
  shutdownDeadline_ = clock().monotonic() + plane_.options().shutdownGrace;
  for (auto& [n, ep] : entrypoints_) ep->close();
  for (auto& [a, b] : backends_) b->closeIdle();
  for (ClientSession* s = first_; s;) {
    ClientSession* next = s->nextSession;
    s->closeIfIdle();
    s = next;
  }
  if (sessionCount_ == 0) finishShutdown();
}

void Worker::finishShutdown() {
  if (!onDrained_) return;
  auto done = std::move(onDrained_);
  onDrained_ = nullptr;
  asio::post(io_, done);
}

void Worker::tick() {
  ticker_.expires_after(std::chrono::milliseconds(250));
  ticker_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    MonoTime now = clock().monotonic();
    for (ClientSession* s = first_; s;) {
      ClientSession* next = s->nextSession;
      s->onTick(now);
      s = next;
    }
    for (auto& [a, b] : backends_) b->closeIdleOlderThan(now, plane_.options().poolIdle);
    if (stopping_ && now >= shutdownDeadline_) finishShutdown();
    tick();
  });
}

}  // namespace ramp::router
