#include "providers/aws/CloudWatchApi.h"

#include <algorithm>
#include <cstdlib>

#include "providers/aws/AlarmApi.h"
#include "providers/aws/AwsTimestamp.h"
#include "providers/aws/QueryProtocol.h"

namespace ramp::providers::aws {
namespace {

constexpr const char* kSvc = "monitoring";

void dimensionParams(QueryParams& p, const std::string& prefix,
                     const std::vector<std::pair<std::string, std::string>>& dims) {
  for (size_t i = 0; i < dims.size(); ++i) {
    std::string k = prefix + ".Dimensions.member." + std::to_string(i + 1);
    p.emplace_back(k + ".Name", dims[i].first);
    p.emplace_back(k + ".Value", dims[i].second);
  }
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

Result<std::map<std::string, std::vector<MetricPoint>>> CloudWatchApi::getMetricData(
    const std::vector<MetricQuery>& queries, WallTime start, WallTime end) {
  std::map<std::string, std::vector<MetricPoint>> out;
  for (size_t b = 0; b < queries.size(); b += kQueriesPerCall) {
    QueryParams p{{"StartTime", AwsTimestamp::format(start)}, {"EndTime", AwsTimestamp::format(end)},
                  {"ScanBy", "TimestampAscending"}};
    for (size_t i = b; i < std::min(queries.size(), b + kQueriesPerCall); ++i) {
      const auto& q = queries[i];
      std::string k = "MetricDataQueries.member." + std::to_string(i - b + 1);
      p.emplace_back(k + ".Id", q.id);
      p.emplace_back(k + ".MetricStat.Metric.Namespace", q.ns);
      p.emplace_back(k + ".MetricStat.Metric.MetricName", q.metricName);
      dimensionParams(p, k + ".MetricStat.Metric", q.dimensions);
      p.emplace_back(k + ".MetricStat.Period", std::to_string(q.periodSeconds));
      p.emplace_back(k + ".MetricStat.Stat", q.stat);
      p.emplace_back(k + ".ReturnData", "true");
      out.try_emplace(q.id);
    }
    auto paged = queryPages(client_, kSvc, "GetMetricData", p, kNextToken, 100, [&out](const XmlNode& answer) {
      for (auto& r : answer.find("MetricDataResults").children("member")) {
        auto& points = out[r.get("Id")];
        auto ts = r.child("Timestamps").children("member");
        auto vs = r.child("Values").children("member");
        for (size_t i = 0; i < std::min(ts.size(), vs.size()); ++i) {
          auto at = AwsTimestamp::parse(ts[i].text());
          if (!at) continue;
          points.push_back({*at, std::strtod(vs[i].text().c_str(), nullptr)});
        }
      }
    });
    if (!paged) return std::unexpected(paged.error());
  }
  return out;
}

Status CloudWatchApi::putMetricData(const std::string& ns, const std::vector<MetricDatum>& data) {
  for (size_t b = 0; b < data.size(); b += 1000) {
    QueryParams p{{"Namespace", ns}};
    for (size_t i = b; i < std::min(data.size(), b + 1000); ++i) {
      std::string k = "MetricData.member." + std::to_string(i - b + 1);
      p.emplace_back(k + ".MetricName", data[i].metricName);
      p.emplace_back(k + ".Value", number(data[i].value));
      p.emplace_back(k + ".Unit", data[i].unit);
      if (data[i].at) p.emplace_back(k + ".Timestamp", AwsTimestamp::format(*data[i].at));
      dimensionParams(p, k, data[i].dimensions);
    }
    auto doc = client_.query(kSvc, "PutMetricData", p);
    if (!doc) return std::unexpected(doc.error());
  }
  return ok();
}

Result<std::vector<Alarm>> CloudWatchApi::describeAlarms(const std::vector<std::string>& names) {
  std::vector<Alarm> out;
  auto done = AlarmApi(client_).visitAlarms(names, [&out](const XmlNode& m) {
    out.push_back({m.get("AlarmName"), m.get("StateValue"), m.get("StateReason")});
  });
  if (!done) return std::unexpected(done.error());
  return out;
}

Status CloudWatchApi::setAlarmState(const std::string& name, const std::string& state, const std::string& reason) {
  auto doc = client_.query(kSvc, "SetAlarmState", {{"AlarmName", name}, {"StateValue", state}, {"StateReason", reason}});
  if (!doc) return std::unexpected(doc.error());
  return ok();
}

Status CloudWatchApi::putMetricAlarm(const std::string& name, const std::string& ns, const std::string& metricName,
                                     const std::vector<std::pair<std::string, std::string>>& dimensions,
                                     double threshold) {
  QueryParams p{{"AlarmName", name},       {"Namespace", ns},         {"MetricName", metricName},
                {"Statistic", "Sum"},      {"Period", "60"},          {"EvaluationPeriods", "1"},
                {"Threshold", number(threshold)}, {"ComparisonOperator", "GreaterThanThreshold"}};
  for (size_t i = 0; i < dimensions.size(); ++i) {
    std::string k = "Dimensions.member." + std::to_string(i + 1);
    p.emplace_back(k + ".Name", dimensions[i].first);
    p.emplace_back(k + ".Value", dimensions[i].second);
  }
  auto doc = client_.query(kSvc, "PutMetricAlarm", p);
  if (!doc) return std::unexpected(doc.error());
  return ok();
}

}  // namespace ramp::providers::aws
