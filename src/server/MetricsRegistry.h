// MetricsRegistry.h — counters, gauges and histograms with labels, rendered
// as Prometheus text exposition format 0.0.4.
//
// Contract:
//  - A family is declared once (counter/gauge/histogram) with its HELP text
//    (and, for histograms, its upper bounds in base units, ascending); using
//    an undeclared name or the wrong kind is a bug (assertion).
//  - Series are identified by their label set; label order does not matter
//    (labels are kept sorted by name).
//  - render() lists families by name, each with `# HELP` and `# TYPE` lines,
//    then its series sorted by labels; histograms as cumulative `_bucket`
//    series with an `le` label (ending with "+Inf"), `_sum` and `_count`.
//    Label values are escaped (\\, \", \n), HELP text (\\, \n).
//  - Thread-safe: every method may be called from any thread.
// Names follow Prometheus conventions: `ramp_` prefix, `_total` for
// counters, `_seconds` for durations (see docs/observability.md).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace ramp::server {

class MetricsRegistry {
 public:
  using Labels = std::map<std::string, std::string>;

  void counter(const std::string& name, const std::string& help);
  void gauge(const std::string& name, const std::string& help);
  void histogram(const std::string& name, const std::string& help, std::vector<double> bounds);

  // Counter: adds `by` (>= 0).
  void add(const std::string& name, const Labels& labels, double by = 1);
  // Gauge: sets the value.
  void set(const std::string& name, const Labels& labels, double value);
  // Gauge: forgets every series (before setting the current ones again, so
  // that series that no longer exist disappear).
  void clear(const std::string& name);
  // Histogram: records one observation.
  void observe(const std::string& name, const Labels& labels, double value);

  // The value of a counter or gauge series (0 when absent); for tests.
  double value(const std::string& name, const Labels& labels) const;

  std::string render() const;

  // Conventional bucket bounds in seconds.
  static std::vector<double> latencyBounds();   // 1 ms .. 10 s
  static std::vector<double> durationBounds();  // 10 s .. 2 h

 private:
  enum class Kind { kCounter, kGauge, kHistogram };
  struct Series {
    double value = 0;                 // counter/gauge
    std::vector<uint64_t> buckets;    // histogram: per bound (not cumulative)
    uint64_t count = 0;
    double sum = 0;
  };
  struct Family {
    Kind kind;
    std::string help;
    std::vector<double> bounds;
    std::map<Labels, Series> series;
  };
  Family& family(const std::string& name, Kind kind);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
};

}  // namespace ramp::server
