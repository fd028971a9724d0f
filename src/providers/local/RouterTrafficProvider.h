// RouterTrafficProvider.h — the local provider's TrafficProvider and
// MetricsProvider: the world's `ramp router` process, driven over its admin
// API (router/AdminClient.h).
//
// Every call first makes sure the router runs (ensureRouterRunning with the
// given ramp binary), so a crashed router is restarted transparently, and
// it reloads its routes.json itself. EntrypointKey {service,env,region} is
// the entry point named "service.env.region". appliedTraffic() and
// inflight() read back from the router, never from memory. Fixed ports for
// entry points come from the constructor map (else a free port, chosen once
// and kept by the router). setTraffic sends the split's `stable` and
// `lease_ms`; appliedTraffic reads the lease state back; fleetMetrics
// carries the router's per-fleet counters epoch.
//
// Requires ramp_providers to link ramp_router (see docs/router.md).
#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/Clock.h"
#include "providers/Provider.h"
#include "router/RouterProcess.h"

namespace ramp::providers {

class RouterTrafficProvider final : public TrafficProvider, public MetricsProvider {
 public:
  RouterTrafficProvider(std::filesystem::path home, std::filesystem::path rampBinary,
                        std::map<EntrypointKey, int> fixedPorts = {}, Clock& clock = SystemClock::instance(),
                        Millis timeout = Millis(10000));

  static std::string entrypointName(const EntrypointKey& key);

  Result<std::string> ensureEntrypoint(const EntrypointKey& key) override;
  // Same, with an explicit fixed port (0 = a free port).
  Result<std::string> ensureEntrypoint(const EntrypointKey& key, int port);
  Status setTraffic(const TrafficSplit& split) override;
  Result<TrafficSplit> appliedTraffic(const EntrypointKey& key) override;
  Result<int64_t> inflight(const EntrypointKey& key, const std::string& fleetId) override;
  Status renewLease(const EntrypointKey& key, int64_t epoch) override;
  Result<FleetMetrics> fleetMetrics(const EntrypointKey& key, const std::string& fleetId) override;

 private:
  Result<nlohmann::json> call(std::string_view method, const std::string& path,
                              const std::optional<nlohmann::json>& body = std::nullopt);

  std::filesystem::path home_;
  std::filesystem::path rampBinary_;
  std::map<EntrypointKey, int> fixedPorts_;
  Clock& clock_;
  Millis timeout_;
  std::mutex mu_;
  std::optional<router::RouterEndpoint> endpoint_;
};

}  // namespace ramp::providers
