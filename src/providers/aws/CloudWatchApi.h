// CloudWatchApi.h — typed CloudWatch calls over AwsClient (Query protocol,
// signing name "monitoring").
//
// getMetricData runs many metric queries over one time range, batched by
// 500 queries per call (the API's limit) and following NextToken pages
// (bounded); it returns every query's points (timestamp, value) by id.
// A statistic with no data (moto answers percentiles that way) is an id
// with no points, not an error. putMetricData and setAlarmState exist for
// tests (feeding what a healthy or failing fleet would produce);
// describeAlarms reads alarm states (names batched by 100).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/Clock.h"
#include "providers/aws/AwsClient.h"

namespace ramp::providers::aws {

struct MetricQuery {
  std::string id;                                  // [a-z][a-zA-Z0-9_]*
  std::string ns;                                  // "AWS/ApplicationELB"
  std::string metricName;
  std::vector<std::pair<std::string, std::string>> dimensions;
  int periodSeconds = 60;
  std::string stat = "Sum";                        // Sum | Average | p99 | ...
};

struct MetricPoint {
  WallTime at;
  double value = 0;
};

struct MetricDatum {
  std::string metricName;
  std::vector<std::pair<std::string, std::string>> dimensions;
  double value = 0;
  std::string unit = "Count";
  std::optional<WallTime> at;
};

struct Alarm {
  std::string name, state, reason;
};

class CloudWatchApi {
 public:
  explicit CloudWatchApi(AwsClient& client) : client_(client) {}

  Result<std::map<std::string, std::vector<MetricPoint>>> getMetricData(const std::vector<MetricQuery>& queries,
                                                                        WallTime start, WallTime end);
  Status putMetricData(const std::string& ns, const std::vector<MetricDatum>& data);
  Result<std::vector<Alarm>> describeAlarms(const std::vector<std::string>& names);
  Status setAlarmState(const std::string& name, const std::string& state, const std::string& reason);
  // A simple threshold alarm (for tests and examples).
  Status putMetricAlarm(const std::string& name, const std::string& ns, const std::string& metricName,
                        const std::vector<std::pair<std::string, std::string>>& dimensions, double threshold);

  static constexpr size_t kQueriesPerCall = 500;

 private:
  AwsClient& client_;
};

}  // namespace ramp::providers::aws
