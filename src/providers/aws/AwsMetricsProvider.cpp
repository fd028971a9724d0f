#include "providers/aws/AwsMetricsProvider.h"

#include <algorithm>
#include <cmath>

#include "providers/aws/AwsFleetProvider.h"
#include "providers/aws/CloudWatchApi.h"
#include "providers/aws/ElbV2Api.h"
#include "router/LatencyHistogram.h"

namespace ramp::providers::aws {
namespace {

constexpr const char* kNs = "AWS/ApplicationELB";

std::string suffixFrom(const std::string& arn, const std::string& marker) {
  auto pos = arn.find(marker);
  return pos == std::string::npos ? std::string() : arn.substr(pos + 1);
}

int64_t minuteOf(WallTime t) {
  return std::chrono::duration_cast<std::chrono::minutes>(t.time_since_epoch()).count();
}

}  // namespace

AwsMetricsProvider::AwsMetricsProvider(AwsRegionClients& clients, AwsEnvironmentSource& environments, Clock& clock,
                                       std::chrono::seconds lookback)
    : clients_(clients), environments_(environments), clock_(clock), lookback_(lookback) {}

std::string AwsMetricsProvider::regionOf(const EntrypointKey& key) {
  return key.region == "local" ? std::string() : key.region;
}

std::string AwsMetricsProvider::percentileProblem() {
  std::lock_guard lock(mu_);
  return percentileProblem_;
}

std::string AwsMetricsProvider::sampleSource(const std::string& fleetId) {
  std::lock_guard lock(mu_);
  auto it = source_.find(fleetId);
  return it == source_.end() ? std::string() : it->second;
}

Result<FleetMetrics> AwsMetricsProvider::fleetMetrics(const EntrypointKey& key, const std::string& fleetId) {
  auto e = environments_.awsEnvironment(key.service, key.env, regionOf(key));
  if (!e) return std::unexpected(e.error());
  AwsClient& client = clients_.forRegion(e->region);
  std::string name = AwsFleetProvider::resourceName(key.service, key.env, fleetId);
  auto tgs = ElbV2Api(client).describeTargetGroups({name});
  if (!tgs && tgs.error().code != ErrorCode::kNotFound) return std::unexpected(tgs.error());
  if (!tgs || tgs->empty()) return notFound("fleet " + fleetId + " has no target group " + name, "fleetId");
  const auto& tg = tgs->front();
  std::vector<std::pair<std::string, std::string>> dims{{"TargetGroup", suffixFrom(tg.arn, ":targetgroup/") }};
  std::string lbArn = tg.loadBalancerArns.empty() ? std::string() : tg.loadBalancerArns.front();
  if (lbArn.empty()) {
    // Some emulators do not list a target group's load balancers: ask for
    // the environment's own.
    auto lbs = ElbV2Api(client).describeLoadBalancers({e->loadBalancer});
    if (lbs && !lbs->empty()) lbArn = lbs->front().arn;
  }
  // Dimension values: "app/<name>/<id>" (no "loadbalancer/"), "targetgroup/<name>/<id>".
  if (auto pos = lbArn.find(":loadbalancer/"); pos != std::string::npos) {
    dims.insert(dims.begin(), {"LoadBalancer", lbArn.substr(pos + std::string(":loadbalancer/").size())});
  }
  WallTime now = clock_.now();
  WallTime since;
  {
    std::lock_guard lock(mu_);
    auto [it, fresh] = since_.try_emplace(fleetId, now - lookback_);
    since = it->second;
  }
  auto q = [&](std::string id, std::string metric, std::string stat) {
    return MetricQuery{std::move(id), kNs, std::move(metric), dims, 60, std::move(stat)};
  };
  std::vector<MetricQuery> queries{q("rq", "RequestCount", "Sum"),
                                   q("c2", "HTTPCode_Target_2XX_Count", "Sum"),
                                   q("c3", "HTTPCode_Target_3XX_Count", "Sum"),
                                   q("c4", "HTTPCode_Target_4XX_Count", "Sum"),
                                   q("c5", "HTTPCode_Target_5XX_Count", "Sum"),
                                   q("ce", "TargetConnectionErrorCount", "Sum"),
                                   q("avg", "TargetResponseTime", "Average")};
  CloudWatchApi cw(client);
  WallTime end = now + std::chrono::seconds(60);
  auto data = cw.getMetricData(queries, since, end);
  if (!data) return std::unexpected(data.error());
  // Percentiles in a call of their own: an emulator that cannot compute
  // them (moto answers 500) costs the percentiles, not the counts.
  bool tryPercentiles;
  {
    std::lock_guard lock(mu_);
    tryPercentiles = percentilesWork_;
  }
  if (tryPercentiles) {
    auto pct = cw.getMetricData({q("p50", "TargetResponseTime", "p50"), q("p90", "TargetResponseTime", "p90"),
                                 q("p99", "TargetResponseTime", "p99")},
                                since, end);
    if (pct) {
      for (auto& [id, points] : *pct) (*data)[id] = std::move(points);
    } else if (pct.error().code == ErrorCode::kUnavailable || pct.error().code == ErrorCode::kInternal) {
      std::lock_guard lock(mu_);
      percentilesWork_ = false;
      percentileProblem_ = pct.error().describe();
    } else {
      return std::unexpected(pct.error());
    }
  }
  auto sum = [&](const std::string& id) {
    double s = 0;
    for (auto& p : (*data)[id]) s += p.value;
    return static_cast<uint64_t>(std::llround(std::max(0.0, s)));
  };
  FleetMetrics m;
  m.fleetId = fleetId;
  m.at = toUnixMillis(now);
  m.requests = sum("rq");
  m.status3xx = sum("c3");
  m.status4xx = sum("c4");
  m.status5xx = sum("c5");
  m.upstreamErrors = sum("ce");
  m.status2xx = (*data)["c2"].empty() ? m.requests - std::min(m.requests, m.status3xx + m.status4xx + m.status5xx)
                                      : sum("c2");
  const auto& bounds = router::LatencyHistogram::bounds();
  m.latencyBoundsMs = bounds;
  m.latencyCounts.assign(bounds.size(), 0);
  auto bucket = [&](double seconds) {
    double ms = seconds * 1000.0;
    auto it = std::lower_bound(bounds.begin(), bounds.end(), ms);
    return it == bounds.end() ? bounds.size() - 1 : static_cast<size_t>(it - bounds.begin());
  };
  auto byMinute = [&](const std::string& id) {
    std::map<int64_t, double> out;
    for (auto& p : (*data)[id]) out[minuteOf(p.at)] += p.value;
    return out;
  };
  auto requests = byMinute("rq"), p50 = byMinute("p50"), p90 = byMinute("p90"), p99 = byMinute("p99"),
       avg = byMinute("avg");
  bool usedAverage = false, usedPercentiles = false;
  for (const auto& [minute, n] : requests) {
    auto count = static_cast<uint64_t>(std::llround(std::max(0.0, n)));
    if (count == 0) continue;
    if (p50.contains(minute) && p90.contains(minute) && p99.contains(minute)) {
      uint64_t a = count / 2, b = count * 4 / 10, c = count * 9 / 100;
      uint64_t d = count - a - b - c;
      m.latencyCounts[bucket(p50[minute])] += a;
      m.latencyCounts[bucket(p90[minute])] += b;
      m.latencyCounts[bucket(p99[minute])] += c;
      m.latencyCounts[std::min(bounds.size() - 1, bucket(p99[minute]) + 1)] += d;
      usedPercentiles = true;
    } else if (avg.contains(minute)) {
      m.latencyCounts[bucket(avg[minute])] += count;
      usedAverage = true;
    }
  }
  m.latencySource = usedAverage ? "average-fallback" : usedPercentiles ? "percentiles" : "none";
  std::lock_guard lock(mu_);
  source_[fleetId] = m.latencySource;
  return m;
}

Result<std::vector<std::string>> AwsMetricsProvider::alarmsInAlarm(const EntrypointKey& key,
                                                                   const std::vector<std::string>& names) {
  auto e = environments_.awsEnvironment(key.service, key.env, regionOf(key));
  if (!e) return std::unexpected(e.error());
  const auto& wanted = names.empty() ? e->alarms : names;
  std::vector<std::string> firing;
  if (wanted.empty()) return firing;
  auto alarms = CloudWatchApi(clients_.forRegion(e->region)).describeAlarms(wanted);
  if (!alarms) return std::unexpected(alarms.error());
  for (const auto& n : wanted) {
    auto it = std::find_if(alarms->begin(), alarms->end(), [&](const Alarm& a) { return a.name == n; });
    if (it == alarms->end()) return notFound("no CloudWatch alarm named '" + n + "'", "environment.aws.alarms");
    if (it->state == "ALARM") firing.push_back(n);
  }
  return firing;
}

}  // namespace ramp::providers::aws
