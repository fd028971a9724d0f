#include "providers/aws/AlarmApi.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "providers/aws/QueryProtocol.h"

namespace ramp::providers::aws {
namespace {

constexpr const char* kSvc = "monitoring";

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

bool isExtended(const std::string& stat) {
  return !stat.empty() && (stat[0] == 'p' || stat.starts_with("tm") || stat.starts_with("tc") || stat.starts_with("ts") ||
                           stat.starts_with("wm") || stat.starts_with("IQM"));
}

}  // namespace

Status AlarmApi::putMetricAlarm(const MetricAlarmSpec& s, const AlarmTags& tags) {
  if (s.name.empty() || s.name.size() > 255) return invalid("alarm name must be 1..255 characters", "name");
  if (s.metricName.empty() || s.ns.empty()) return invalid("alarm '" + s.name + "' has no metric", "metric");
  if (s.period <= 0 || s.evaluationPeriods <= 0) {
    return invalid("alarm '" + s.name + "': period and evaluation_periods must be positive", "period");
  }
  QueryParams p{{"AlarmName", s.name},
                {"EvaluationPeriods", std::to_string(s.evaluationPeriods)},
                {"Threshold", number(s.threshold)},
                {"ComparisonOperator", s.comparisonOperator}};
  std::string stat = s.statistic.empty() ? "Sum" : s.statistic;
  if (s.divideBy.empty()) {
    p.emplace_back("Namespace", s.ns);
    p.emplace_back("MetricName", s.metricName);
    p.emplace_back("Period", std::to_string(s.period));
    p.emplace_back(isExtended(stat) ? "ExtendedStatistic" : "Statistic", stat);
    int i = 0;
    for (const auto& [k, v] : s.dimensions) {
      std::string key = "Dimensions.member." + std::to_string(++i);
      p.emplace_back(key + ".Name", k);
      p.emplace_back(key + ".Value", v);
    }
  } else {
    const std::string metrics[2] = {s.metricName, s.divideBy};
    for (int m = 0; m < 2; ++m) {
      std::string k = "Metrics.member." + std::to_string(m + 1);
      p.emplace_back(k + ".Id", "m" + std::to_string(m + 1));
      p.emplace_back(k + ".MetricStat.Metric.Namespace", s.ns);
      p.emplace_back(k + ".MetricStat.Metric.MetricName", metrics[m]);
      int i = 0;
      for (const auto& [dk, dv] : s.dimensions) {
        std::string key = k + ".MetricStat.Metric.Dimensions.member." + std::to_string(++i);
        p.emplace_back(key + ".Name", dk);
        p.emplace_back(key + ".Value", dv);
      }
      p.emplace_back(k + ".MetricStat.Period", std::to_string(s.period));
      p.emplace_back(k + ".MetricStat.Stat", stat);
      p.emplace_back(k + ".ReturnData", "false");
    }
    p.emplace_back("Metrics.member.3.Id", "e1");
    p.emplace_back("Metrics.member.3.Expression", "m1/m2");
    p.emplace_back("Metrics.member.3.Label", s.metricName + " / " + s.divideBy);
    p.emplace_back("Metrics.member.3.ReturnData", "true");
  }
  for (size_t a = 0; a < s.alarmActions.size(); ++a) {
    p.emplace_back("AlarmActions.member." + std::to_string(a + 1), s.alarmActions[a]);
  }
  if (!s.treatMissingData.empty()) p.emplace_back("TreatMissingData", s.treatMissingData);
  tagParams(p, tags);
  return queryDone(client_.query(kSvc, "PutMetricAlarm", p));
}

Status AlarmApi::visitAlarms(const std::vector<std::string>& names, const std::function<void(const XmlNode&)>& visit) {
  for (size_t b = 0; b < names.size(); b += kNamesPerCall) {
    QueryParams p;
    for (size_t i = b; i < std::min(names.size(), b + kNamesPerCall); ++i) {
      p.emplace_back("AlarmNames.member." + std::to_string(i - b + 1), names[i]);
    }
    auto paged = queryPages(client_, kSvc, "DescribeAlarms", p, kNextToken, 100, [&visit](const XmlNode& answer) {
      for (auto& m : answer.find("MetricAlarms").children("member")) visit(m);
    });
    if (!paged) return paged;
  }
  return ok();
}

Result<std::vector<MetricAlarm>> AlarmApi::describeAlarms(const std::vector<std::string>& names) {
  std::vector<MetricAlarm> out;
  auto done = visitAlarms(names, [&out](const XmlNode& m) {
    MetricAlarm a;
    a.arn = m.get("AlarmArn");
    a.state = m.get("StateValue");
    a.spec.name = m.get("AlarmName");
    a.spec.ns = m.get("Namespace");
    a.spec.metricName = m.get("MetricName");
    a.spec.statistic = m.get("ExtendedStatistic");
    if (a.spec.statistic.empty()) a.spec.statistic = m.get("Statistic");
    for (auto& d : m.child("Dimensions").children("member")) a.spec.dimensions[d.get("Name")] = d.get("Value");
    a.spec.comparisonOperator = m.get("ComparisonOperator");
    a.spec.threshold = std::strtod(m.get("Threshold").c_str(), nullptr);
    a.spec.period = std::atoi(m.get("Period").c_str());
    a.spec.evaluationPeriods = std::atoi(m.get("EvaluationPeriods").c_str());
    a.spec.treatMissingData = m.get("TreatMissingData");
    for (auto& act : m.child("AlarmActions").children("member")) a.spec.alarmActions.push_back(act.text());
    // Metric math: m1 / m2 as written by putMetricAlarm.
    for (auto& q : m.child("Metrics").children("member")) {
      auto id = q.get("Id");
      auto metric = q.path("MetricStat/Metric");
      if (id == "m1") {
        a.spec.ns = metric.get("Namespace");
        a.spec.metricName = metric.get("MetricName");
        a.spec.statistic = q.path("MetricStat/Stat").text();
        a.spec.period = std::atoi(q.path("MetricStat/Period").text().c_str());
        for (auto& d : metric.child("Dimensions").children("member")) a.spec.dimensions[d.get("Name")] = d.get("Value");
      } else if (id == "m2") {
        a.spec.divideBy = metric.get("MetricName");
      }
    }
    out.push_back(std::move(a));
  });
  if (!done) return std::unexpected(done.error());
  return out;
}

Status AlarmApi::deleteAlarms(const std::vector<std::string>& names) {
  for (size_t b = 0; b < names.size(); b += kNamesPerCall) {
    QueryParams p;
    for (size_t i = b; i < std::min(names.size(), b + kNamesPerCall); ++i) {
      p.emplace_back("AlarmNames.member." + std::to_string(i - b + 1), names[i]);
    }
    auto doc = client_.query(kSvc, "DeleteAlarms", p);
    if (!doc && doc.error().code != ErrorCode::kNotFound) return std::unexpected(doc.error());
  }
  return ok();
}

Status AlarmApi::tagResource(const std::string& arn, const AlarmTags& tags) {
  if (tags.empty()) return ok();
  QueryParams p{{"ResourceARN", arn}};
  tagParams(p, tags);
  return queryDone(client_.query(kSvc, "TagResource", p));
}

}  // namespace ramp::providers::aws
