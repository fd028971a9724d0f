// ProviderSet.h — the providers of every environment behind one set of
// interfaces: routes each call to the local or the AWS provider by the
// environment's `provider`.
//
// The controller hands the engine a ProviderSet instead of the local
// providers, and calls learn(service, env, rendered) with the rendered
// config of every deployment request (every region of it) before submitting
// it; the set records each environment's provider and, for aws, each
// region's rendered config (checked here: a bad aws block is kInvalid naming
// the field, so the request is refused before anything happens).
// verifyInfrastructure(service, env, regions) then checks, for an aws
// environment, that the infrastructure the deployment rides on exists in
// every region (load balancer, listener, the service's rule): missing is a
// permanent kFailedPrecondition naming it and `ramp apply --env ENV`, so a
// deployment into an environment whose infrastructure is not applied is
// refused before it is recorded. What it learned, and which provider made
// each fleet in which region, is kept in the world's store
// (store/ProviderStore.h: settings {"regions": {region: rendered}}, the
// fleet placement's region), so a restarted controller — or the controller
// of another host sharing the store — routes resumed deployments the same
// way, and finds an aws fleet in its own region only. A home's
// providers/environments.json and fleets.json from before are imported into
// the store once (then renamed *.imported); settings recorded before regions
// were ({"rendered": ...}) are read as that render's region.
//
// Local environments across hosts: a `local` environment's fleets and
// router are processes of one site (core/Site.h: the host and home of the
// controller that first deployed it). canAct(service, env) says whether this
// controller may act on it: OK for aws environments and this site's local
// ones; for another site's local environment kFailedPrecondition naming
// both sites ("... runs at HOST:HOME; this controller (HOST2:HOME2) does not
// act on it"). Every call routed to the local providers for another site's
// environment or fleet returns that error instead of acting (a fleet is
// never reported absent, so it is never marked retired while it runs), and
// learn() refuses to bind a local environment that runs elsewhere.
//
// Routing: createFleet by spec.service/spec.env; fleetStatus/retireFleet by
// the provider that created the fleet (unknown fleets: local, then aws when
// any aws environment is known); traffic and metrics by the entry point's
// service/env; listFleets by env (both providers when env is not given).
// Environments never learned are local. The AWS providers (and their
// clients: standard credentials chain, AWS_ENDPOINT_URL honoured) are made
// on construction but call AWS only when an aws environment is used.
// Thread-safe.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "core/Site.h"
#include "providers/AlarmSource.h"
#include "providers/Provider.h"
#include "providers/aws/AwsEnvironment.h"
#include "providers/aws/AwsFleetProvider.h"
#include "providers/aws/AwsMetricsProvider.h"
#include "providers/aws/AwsRegionClients.h"
#include "providers/aws/AwsTrafficProvider.h"
#include "store/ProviderStore.h"

namespace ramp::providers {

class ProviderSet final : public FleetProvider,
                          public TrafficProvider,
                          public MetricsProvider,
                          public AlarmSource,
                          public aws::AwsEnvironmentSource {
 public:
  // `clients` = nullptr: production AWS clients (region from AWS_REGION /
  // AWS_DEFAULT_REGION, else us-east-1).
  // `routing`: the world's store (outlives this object). `site`: this
  // controller's. `home`: where an older ramp kept providers/*.json.
  ProviderSet(store::ProviderStore& routing, Site site, std::filesystem::path home, FleetProvider& localFleets,
              TrafficProvider& localTraffic, MetricsProvider& localMetrics, Clock& clock = SystemClock::instance(),
              std::unique_ptr<aws::AwsRegionClients> clients = nullptr);

  // Records the provider of service/env from a rendered config (ramp render --json).
  Status learn(const std::string& service, const std::string& env, const nlohmann::json& rendered);
  // "local" or "aws".
  std::string providerOf(const std::string& service, const std::string& env);
  // Whether this controller may act on service/env (see above).
  Status canAct(const std::string& service, const std::string& env);
  // True when some local environment runs at this site.
  bool hasLocalEnvironmentsHere();
  // aws: the infrastructure of service/env exists in each region (see above);
  // local: nothing to check.
  Status verifyInfrastructure(const std::string& service, const std::string& env,
                              const std::vector<std::string>& regions);

  Status createFleet(const FleetSpec& spec) override;
  Result<FleetStatus> fleetStatus(const std::string& fleetId) override;
  Status retireFleet(const std::string& fleetId, std::chrono::milliseconds drain) override;
  Result<std::vector<std::string>> listFleets(const std::optional<std::string>& service,
                                              const std::optional<std::string>& env) override;
  Status holdScaling(const std::string& fleetId, bool hold) override;

  Result<std::string> ensureEntrypoint(const EntrypointKey& key) override;
  Status setTraffic(const TrafficSplit& split) override;
  Result<TrafficSplit> appliedTraffic(const EntrypointKey& key) override;
  Result<int64_t> inflight(const EntrypointKey& key, const std::string& fleetId) override;
  Status renewLease(const EntrypointKey& key, int64_t epoch) override;
  Result<bool> drainRegion(const EntrypointKey& key, bool drain) override;

  Result<FleetMetrics> fleetMetrics(const EntrypointKey& key, const std::string& fleetId) override;
  // Local environments have no alarms: always empty.
  Result<std::vector<std::string>> alarmsInAlarm(const EntrypointKey& key,
                                                 const std::vector<std::string>& names) override;

  Result<aws::AwsEnvironment> awsEnvironment(const std::string& service, const std::string& env,
                                             const std::string& region) override;
  std::vector<std::string> awsRegions(const std::optional<std::string>& env) override;
  std::optional<std::string> fleetRegion(const std::string& fleetId) override;

  aws::AwsMetricsProvider& awsMetrics() { return *awsMetrics_; }
  // The infrastructure changed (`ramp apply`): remembered AWS answers are
  // read again, so deployments' weights are put back on a rule an apply
  // recreated within a tick, not a slow read period.
  void infrastructureChanged() { awsTraffic_->forgetAnswers(); }
  // Calls made by every AWS client of this set (benchmarks, tests).
  long awsCalls();

 private:
  void load();
  void importLegacyFiles();
  bool anyAws();
  Status recordFleet(const FleetSpec& spec, const std::string& provider);
  std::string fleetProvider(const std::string& fleetId);
  // kFailedPrecondition when the fleet is another site's local fleet.
  Status canActOnFleet(const std::string& fleetId);
  Status refusal(const std::string& what, const std::string& site, const std::string& label) const;

  store::ProviderStore& routing_;
  Site site_;
  Clock& clock_;
  std::filesystem::path dir_;
  FleetProvider& localFleets_;
  TrafficProvider& localTraffic_;
  MetricsProvider& localMetrics_;
  std::unique_ptr<aws::AwsRegionClients> clients_;
  std::unique_ptr<aws::AwsFleetProvider> awsFleets_;
  std::unique_ptr<aws::AwsTrafficProvider> awsTraffic_;
  std::unique_ptr<aws::AwsMetricsProvider> awsMetrics_;

  std::mutex mu_;
  std::map<std::string, store::ProviderEnvironmentRecord> environments_;  // "service/env" ->
  std::map<std::string, std::string> envProvider_;                         // env -> provider
  std::map<std::string, store::FleetPlacementRecord> fleets_;             // fleet id ->
};

}  // namespace ramp::providers
