#include "router/DataPlane.h"

#include <set>

#include <boost/asio/ip/address.hpp>

#include "router/ClientSession.h"

namespace ramp::router {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

DataPlane::DataPlane(asio::io_context& io, Clock& clock, DataPlaneOptions options)
    : io_(io), clock_(clock), options_(options), ticker_(io) {
  tick();
}

DataPlane::~DataPlane() {
  for (auto& [n, ep] : entrypoints_) ep->close();
  for (auto& [a, b] : backends_) b->closeIdle();
}

Result<int> DataPlane::listen(const std::string& name, int port, const std::string& bindAddress, bool reusePort) {
  auto& ep = entrypoints_[name];
  if (!ep) ep = std::make_shared<Entrypoint>(*this, name);
  if (ep->listening()) return ep->port();
  ep->reusePort = reusePort;
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(bindAddress, ec);
  if (ec) return invalid("not an IP address: " + bindAddress, "listen");
  if (auto st = ep->listen(tcp::endpoint(addr, static_cast<unsigned short>(port))); !st)
    return std::unexpected(st.error());
  return ep->port();
}

std::shared_ptr<Entrypoint> DataPlane::find(const std::string& name) const {
  auto it = entrypoints_.find(name);
  return it == entrypoints_.end() ? nullptr : it->second;
}

Result<std::shared_ptr<Backend>> DataPlane::backend(const std::string& address) {
  auto it = backends_.find(address);
  if (it != backends_.end()) return it->second;
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return invalid("backend must be host:port", address);
  std::string host = address.substr(0, colon);
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(host, ec);
  if (ec) return invalid("backend host must be an IP address or localhost", address);
  int port = std::atoi(address.c_str() + colon + 1);
  if (port <= 0 || port > 65535) return invalid("backend port out of range", address);
  auto b = std::make_shared<Backend>(address, tcp::endpoint(ip, static_cast<unsigned short>(port)));
  backends_[address] = b;
  return b;
}

std::shared_ptr<FleetCounters> DataPlane::counters(const std::string& entrypoint, const std::string& fleet) {
  auto& c = counters_[{entrypoint, fleet}];
  if (!c) {
    c = std::make_shared<FleetCounters>();
    c->entrypoint = entrypoint;
    c->fleetId = fleet;
    c->resetSerial = ++countersSerial_;
    c->since = clock_.now();
  }
  return c;
}

Status DataPlane::apply(const std::string& name, const SplitRoute& split, uint64_t generation) {
  auto ep = find(name);
  if (!ep) return notFound("no such entry point", name);
  auto next = std::make_shared<ActiveSplit>();
  next->generation = generation;
  for (const auto& f : split.fleets) {
    ActiveFleet af;
    af.id = f.id;
    af.weight = f.weight;
    af.counters = counters(name, f.id);
    for (const auto& a : f.backends) {
      auto b = backend(a);
      if (!b) return std::unexpected(b.error());
      af.backends.push_back(*b);
    }
    next->fleets.push_back(std::move(af));
  }
  if (split.pin) {
    next->pin = split.pin;
    for (size_t i = 0; i < next->fleets.size(); ++i)
      if (next->fleets[i].id == split.pin->fleet) next->pinFleet = static_cast<int>(i);
  }
  if (!split.stable.empty())
    for (size_t i = 0; i < next->fleets.size(); ++i)
      if (next->fleets[i].id == split.stable) next->stableFleet = static_cast<int>(i);
  next->dealWeights();
  ep->split = std::move(next);
  refreshActiveBackends();
  return ok();
}

void DataPlane::remove(const std::string& name) {
  auto it = entrypoints_.find(name);
  if (it == entrypoints_.end()) return;
  it->second->close();
  it->second->removed = true;
  it->second->split = std::make_shared<ActiveSplit>();
  entrypoints_.erase(it);
  // Its counters go too: made again, the entry point counts from zero (a new reset serial).
  std::erase_if(counters_, [&](const auto& kv) { return kv.first.first == name; });
  refreshActiveBackends();
}

int DataPlane::weightOf(const std::string& entrypoint, const std::string& fleet) const {
  auto ep = find(entrypoint);
  if (!ep) return 0;
  for (const auto& f : ep->split->fleets)
    if (f.id == fleet) return f.weight;
  return 0;
}

// A backend stays active while some split sends it new requests (a weight
// above 0, or the pinned fleet). Inactive backends lose their idle
// connections now, and get no pooled connections back: draining.
void DataPlane::refreshActiveBackends() {
  std::set<Backend*> active;
  for (auto& [n, ep] : entrypoints_) {
    const auto& s = *ep->split;
    for (size_t i = 0; i < s.fleets.size(); ++i) {
      if (s.fleets[i].weight > 0 || static_cast<int>(i) == s.pinFleet)
        for (auto& b : s.fleets[i].backends) active.insert(b.get());
    }
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

void DataPlane::detach(ClientSession* s) {
  sessions_.erase(s);
  if (stopping_ && sessions_.empty() && onDrained_) {
    auto done = std::move(onDrained_);
    onDrained_ = nullptr;
    asio::post(io_, done);
  }
}

void DataPlane::beginShutdown(std::function<void()> done) {
  stopping_ = true;
  onDrained_ = std::move(done);
  shutdownDeadline_ = clock_.monotonic() + options_.shutdownGrace;
  for (auto& [n, ep] : entrypoints_) ep->close();
  for (auto& [a, b] : backends_) b->closeIdle();
  std::vector<ClientSession*> all(sessions_.begin(), sessions_.end());
  for (auto* s : all) s->closeIfIdle();
  if (sessions_.empty() && onDrained_) {
    auto d = std::move(onDrained_);
    onDrained_ = nullptr;
    asio::post(io_, d);
  }
}

void DataPlane::tick() {
  ticker_.expires_after(std::chrono::milliseconds(250));
  ticker_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    MonoTime now = clock_.monotonic();
    std::vector<ClientSession*> all(sessions_.begin(), sessions_.end());
    for (auto* s : all)
      if (sessions_.contains(s)) s->onTick(now);
    for (auto& [a, b] : backends_) b->closeIdleOlderThan(now, options_.poolIdle);
    if (stopping_ && now >= shutdownDeadline_ && onDrained_) {
      auto d = std::move(onDrained_);
      onDrained_ = nullptr;
      d();
      return;
    }
    tick();
  });
}

}  // namespace ramp::router
