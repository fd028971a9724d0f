// AlarmApi.h — CloudWatch metric alarms, their whole definition (Query
// protocol, signing name "monitoring"): infrastructure as code creates them
// (infra/aws/AwsInfraProvider), deployments point a service's alarms at its
// newest fleet's target group (AwsFleetProvider); CloudWatchApi reads
// states for rollback triggers (through visitAlarms).
//
// A ratio alarm (divideBy) is sent as metric math: Metrics m1, m2 and the
// expression e1 = m1/m2, and read back into the same spec.
// putMetricAlarm creates or replaces an alarm by name (AWS's own upsert, so
// it is idempotent); tags are set on creation and by tagResource after.
// describeAlarms batches 100 names per call (AWS's limit); names that do
// not exist are simply absent. deleteAlarms batches 100 names and treats
// "already gone" as success.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "providers/aws/AwsClient.h"

namespace ramp::providers::aws {

using AlarmTags = std::map<std::string, std::string>;

struct MetricAlarmSpec {
  std::string name;
  std::string ns;                      // AWS/ApplicationELB
  std::string metricName;              // HTTPCode_Target_5XX_Count
  std::string statistic;               // Sum | Average | Maximum | Minimum | SampleCount | p99 ...
  // Non-empty: the alarm watches the ratio metricName / divideBy (metric
  // math "m1/m2", both with `statistic` over the same dimensions).
  std::string divideBy;
  std::map<std::string, std::string> dimensions;
  std::string comparisonOperator = "GreaterThanThreshold";
  double threshold = 0;
  int period = 60;
  int evaluationPeriods = 1;
  std::string treatMissingData;        // "" = AWS default (missing)
  std::vector<std::string> alarmActions;  // SNS topic ARNs
};

struct MetricAlarm {
  MetricAlarmSpec spec;
  std::string arn, state;
};

class AlarmApi {
 public:
  explicit AlarmApi(AwsClient& client) : client_(client) {}

  Status putMetricAlarm(const MetricAlarmSpec& spec, const AlarmTags& tags);
  Result<std::vector<MetricAlarm>> describeAlarms(const std::vector<std::string>& names);
  // The DescribeAlarms walk both describeAlarms (here and CloudWatchApi's)
  // read through: `visit` sees each MetricAlarms member of the answers for
  // `names`, in answer order (kNamesPerCall names a call, NextToken pages
  // followed, at most 100 pages a batch).
  Status visitAlarms(const std::vector<std::string>& names, const std::function<void(const XmlNode&)>& visit);
  Status deleteAlarms(const std::vector<std::string>& names);
  Status tagResource(const std::string& arn, const AlarmTags& tags);

  static constexpr size_t kNamesPerCall = 100;

 private:
  AwsClient& client_;
};

}  // namespace ramp::providers::aws
