// InMemoryProviders.h — instant, thread-safe fleet, traffic and metrics
// providers for the controller benchmark: every fleet is healthy at once,
// every split applies at once, nothing is ever in flight. They let the
// benchmark measure the controller (engine, store, API), not processes.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>

#include "providers/Provider.h"

namespace ramp::bench {

class InMemoryProviders final : public providers::FleetProvider,
                                public providers::TrafficProvider,
                                public providers::MetricsProvider {
 public:
  Status createFleet(const providers::FleetSpec& spec) override {
    std::lock_guard l(mu_);
    fleets_[spec.fleetId] = spec.instances;
    return ok();
  }
  Result<providers::FleetStatus> fleetStatus(const std::string& id) override {
    std::lock_guard l(mu_);
    providers::FleetStatus st;
    st.fleetId = id;
    auto it = fleets_.find(id);
    if (it == fleets_.end()) return st;
    st.exists = true;
    st.desired = st.running = st.healthy = it->second;
    for (int i = 0; i < it->second; ++i) {
      providers::InstanceStatus inst;
      inst.id = id + "-" + std::to_string(i);
      inst.address = "127.0.0.1:" + std::to_string(20000 + i);
      inst.state = "healthy";
      st.instances.push_back(std::move(inst));
    }
    return st;
  }
  Status retireFleet(const std::string& id, std::chrono::milliseconds) override {
    std::lock_guard l(mu_);
    fleets_.erase(id);
    return ok();
  }
  Result<std::vector<std::string>> listFleets(const std::optional<std::string>&,
                                              const std::optional<std::string>&) override {
    std::lock_guard l(mu_);
    std::vector<std::string> out;
    for (auto& [id, n] : fleets_) out.push_back(id);
    return out;
  }
  Result<std::string> ensureEntrypoint(const providers::EntrypointKey& key) override {
    return "http://127.0.0.1:18080/" + key.service;
  }
  Status setTraffic(const providers::TrafficSplit& split) override {
    std::lock_guard l(mu_);
    applied_[split.key] = split;
    return ok();
  }
  Result<providers::TrafficSplit> appliedTraffic(const providers::EntrypointKey& key) override {
    std::lock_guard l(mu_);
    auto it = applied_.find(key);
    if (it == applied_.end()) return providers::TrafficSplit{key, {}, std::nullopt, 0};
    return it->second;
  }
  Result<int64_t> inflight(const providers::EntrypointKey&, const std::string&) override { return 0; }
  Result<providers::FleetMetrics> fleetMetrics(const providers::EntrypointKey&, const std::string& id) override {
    providers::FleetMetrics m;
    m.fleetId = id;
    return m;
  }
  size_t fleetCount() {
    std::lock_guard l(mu_);
    return fleets_.size();
  }

 private:
  std::mutex mu_;
  std::map<std::string, int> fleets_;
  std::map<providers::EntrypointKey, providers::TrafficSplit> applied_;
};

}  // namespace ramp::bench
