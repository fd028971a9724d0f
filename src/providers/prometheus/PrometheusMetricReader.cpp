#include "providers/prometheus/PrometheusMetricReader.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "config/QueryTemplate.h"

namespace ramp::providers {

using nlohmann::json;

namespace {

Error at(Error e, const std::string& where) {
  e.where = where;
  return e;
}

}  // namespace

Result<double> PrometheusMetricReader::total(const std::string& query, const std::string& where,
                                             const std::map<std::string, std::string>& values) const {
  auto q = config::QueryTemplate::fill(query, values);
  if (!q) return std::unexpected(at(q.error(), where));
  auto samples = client_.query(*q);
  if (!samples) return std::unexpected(at(samples.error(), where));
  double sum = 0;
  for (const auto& s : *samples) {
    if (!std::isfinite(s.value) || s.value < 0)
      return invalid("a count of " + std::to_string(s.value) + " (a counter is finite and >= 0)", where);
    sum += s.value;
  }
  return std::round(sum);
}

Result<json> PrometheusMetricReader::histogram(const std::vector<PromSample>& samples) {
  std::vector<std::pair<double, double>> buckets;  // (le seconds, cumulative count)
  for (const auto& s : samples) {
    auto it = s.labels.find("le");
    if (it == s.labels.end()) return invalid("a histogram series without an 'le' label (query the _bucket series, sum by (le))", "");
    char* end = nullptr;
    double le = std::strtod(it->second.c_str(), &end);
    if (it->second.empty() || end != it->second.c_str() + it->second.size() || std::isnan(le))
      return invalid("bucket bound le=\"" + it->second + "\" is not a number", "");
    if (!std::isfinite(s.value) || s.value < 0) return invalid("a bucket count that is not a count", "");
    buckets.push_back({le, s.value});
  }
  json out{{"bounds", json::array()}, {"counts", json::array()}};
  if (buckets.empty()) return out;
  std::sort(buckets.begin(), buckets.end());
  for (size_t i = 1; i < buckets.size(); ++i)
    if (buckets[i].first == buckets[i - 1].first)
      return invalid("two series for the bucket le=" + std::to_string(buckets[i].first) + " (sum by (le))", "");
  if (!std::isinf(buckets.back().first)) return invalid("the histogram has no +Inf bucket", "");
  double prev = 0;
  for (const auto& [le, cum] : buckets) {
    out["bounds"].push_back(std::isinf(le) ? json("+Inf") : json(le * 1000.0));
    // Series scraped a moment apart can make a cumulative count dip: never negative.
    out["counts"].push_back(static_cast<uint64_t>(std::llround(std::max(0.0, cum - prev))));
    prev = std::max(prev, cum);
  }
  return out;
}

Result<json> PrometheusMetricReader::read(const json& metric, size_t index,
                                          const std::map<std::string, std::string>& values) const {
  const std::string where = "analysis.metrics[" + std::to_string(index) + "].prometheus";
  const json q = metric.value("prometheus", json::object());
  const std::string kind = metric.value("kind", "");
  auto text = [&](const char* k) { return q.contains(k) && q[k].is_string() ? q[k].get<std::string>() : std::string(); };
  if (kind == "latency") {
    auto filled = config::QueryTemplate::fill(text("histogram"), values);
    if (!filled) return std::unexpected(at(filled.error(), where + ".histogram"));
    auto samples = client_.query(*filled);
    if (!samples) return std::unexpected(at(samples.error(), where + ".histogram"));
    auto h = histogram(*samples);
    if (!h) return std::unexpected(at(h.error(), where + ".histogram"));
    return h;
  }
  auto errors = total(text("errors"), where + ".errors", values);
  if (!errors) return std::unexpected(errors.error());
  double requests = 0;
  if (!text("total").empty()) {
    auto t = total(text("total"), where + ".total", values);
    if (!t) return std::unexpected(t.error());
    requests = *t;
    if (*errors > requests)
      return invalid("the errors (" + std::to_string(static_cast<uint64_t>(*errors)) + ") exceed the total (" +
                         std::to_string(static_cast<uint64_t>(requests)) + "): do both queries count the same events?",
                     where + ".errors");
  } else {
    auto ok = total(text("successes"), where + ".successes", values);
    if (!ok) return std::unexpected(ok.error());
    requests = *ok + *errors;
  }
  return json{{"requests", static_cast<uint64_t>(requests)}, {"errors", static_cast<uint64_t>(*errors)}};
}

}  // namespace ramp::providers
