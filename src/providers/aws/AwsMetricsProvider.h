// AwsMetricsProvider.h — per-fleet metrics from CloudWatch, and alarms.
//
// A fleet's metrics are its target group's ALB metrics (namespace
// AWS/ApplicationELB, dimensions TargetGroup=targetgroup/<name>/<id> and,
// when the group is behind a load balancer, LoadBalancer=app/<name>/<id>),
// read with GetMetricData over 60 s periods (counts and Average in one call,
// percentiles in a second): RequestCount,
// HTTPCode_Target_2XX/3XX/4XX/5XX_Count, TargetConnectionErrorCount (Sum),
// TargetResponseTime p50/p90/p99 and Average. FleetMetrics are cumulative
// from the first time this provider looked at the fleet (minus a margin of
// `lookback`), so the judge's difference of two snapshots is the traffic in
// between (to CloudWatch's 60 s resolution; a restarted controller starts a
// new window). status2xx is the 2XX sum, or requests minus the other
// classes when the 2XX metric has no data.
//
// Latency: each period's requests are spread over the histogram
// (router/LatencyHistogram bounds) at its percentiles — 50% at p50, 40% at
// p90, 9% at p99, 1% above p99. When CloudWatch returns no percentile for a
// period (moto never does; real ALBs always do) that period's requests all
// go to its Average instead, and FleetMetrics.latencySource (and
// sampleSource(fleet)) says so: "percentiles", "average-fallback" (used for
// some period) or "none".
//
// alarmsInAlarm: the named CloudWatch alarms (or the environment's
// configured ones) whose state is ALARM; an unknown name is an error naming it.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "core/Clock.h"
#include "providers/AlarmSource.h"
#include "providers/Provider.h"
#include "providers/aws/AwsEnvironment.h"
#include "providers/aws/AwsRegionClients.h"

namespace ramp::providers::aws {

class AwsMetricsProvider final : public MetricsProvider, public AlarmSource {
 public:
  AwsMetricsProvider(AwsRegionClients& clients, AwsEnvironmentSource& environments, Clock& clock,
                     std::chrono::seconds lookback = std::chrono::seconds(300));

  Result<FleetMetrics> fleetMetrics(const EntrypointKey& key, const std::string& fleetId) override;
  Result<std::vector<std::string>> alarmsInAlarm(const EntrypointKey& key,
                                                 const std::vector<std::string>& names) override;
  // How the last fleetMetrics of this fleet got its latency ("" if never read).
  std::string sampleSource(const std::string& fleetId);
  // Why percentiles are no longer asked for ("" while they work): the first
  // failed percentile query (moto answers them with HTTP 500) turns them off
  // for this provider's lifetime; latency then comes from Average.
  std::string percentileProblem();

 private:
  static std::string regionOf(const EntrypointKey& key);

  AwsRegionClients& clients_;
  AwsEnvironmentSource& environments_;
  Clock& clock_;
  std::chrono::seconds lookback_;
  std::mutex mu_;
  std::map<std::string, WallTime> since_;
  std::map<std::string, std::string> source_;
  bool percentilesWork_ = true;
  std::string percentileProblem_;
};

}  // namespace ramp::providers::aws
