#include "server/MetricsRegistry.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include <fmt/format.h>

namespace ramp::server {

namespace {

std::string escapeLabel(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

std::string escapeHelp(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  return fmt::format("{}", v);
}

std::string labelText(const MetricsRegistry::Labels& labels, const std::string& le = "") {
  if (labels.empty() && le.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ",";
    first = false;
    out += k + "=\"" + escapeLabel(v) + "\"";
  }
  if (!le.empty()) out += std::string(first ? "" : ",") + "le=\"" + le + "\"";
  return out + "}";
}

}  // namespace

void MetricsRegistry::counter(const std::string& name, const std::string& help) {
  std::lock_guard lock(mu_);
  families_.try_emplace(name, Family{Kind::kCounter, help, {}, {}});
}

void MetricsRegistry::gauge(const std::string& name, const std::string& help) {
  std::lock_guard lock(mu_);
  families_.try_emplace(name, Family{Kind::kGauge, help, {}, {}});
}

void MetricsRegistry::histogram(const std::string& name, const std::string& help, std::vector<double> bounds) {
  assert(std::is_sorted(bounds.begin(), bounds.end()));
  std::lock_guard lock(mu_);
  families_.try_emplace(name, Family{Kind::kHistogram, help, std::move(bounds), {}});
}

MetricsRegistry::Family& MetricsRegistry::family(const std::string& name, Kind kind) {
  auto it = families_.find(name);
  assert(it != families_.end() && "metric family not declared");
  assert(it->second.kind == kind && "metric used as the wrong kind");
  (void)kind;
  return it->second;
}

void MetricsRegistry::add(const std::string& name, const Labels& labels, double by) {
  assert(by >= 0);
  std::lock_guard lock(mu_);
  family(name, Kind::kCounter).series[labels].value += by;
}

void MetricsRegistry::set(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  family(name, Kind::kGauge).series[labels].value = value;
}

void MetricsRegistry::clear(const std::string& name) {
  std::lock_guard lock(mu_);
  family(name, Kind::kGauge).series.clear();
}

void MetricsRegistry::observe(const std::string& name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  auto& f = family(name, Kind::kHistogram);
  auto& s = f.series[labels];
  if (s.buckets.size() != f.bounds.size()) s.buckets.assign(f.bounds.size(), 0);
  auto it = std::lower_bound(f.bounds.begin(), f.bounds.end(), value);  // first bound >= value
  if (it != f.bounds.end()) ++s.buckets[static_cast<size_t>(it - f.bounds.begin())];
  ++s.count;
  s.sum += value;
}

double MetricsRegistry::value(const std::string& name, const Labels& labels) const {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  auto s = it->second.series.find(labels);
  if (s == it->second.series.end()) return 0;
  return it->second.kind == Kind::kHistogram ? static_cast<double>(s->second.count) : s->second.value;
}

std::string MetricsRegistry::render() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    const char* type = f.kind == Kind::kCounter ? "counter" : f.kind == Kind::kGauge ? "gauge" : "histogram";
    out += "# HELP " + name + " " + escapeHelp(f.help) + "\n";
    out += "# TYPE " + name + " " + type + "\n";
    for (const auto& [labels, s] : f.series) {
      if (f.kind != Kind::kHistogram) {
        out += name + labelText(labels) + " " + number(s.value) + "\n";
        continue;
      }
      uint64_t cumulative = 0;
      for (size_t i = 0; i < f.bounds.size(); ++i) {
        cumulative += i < s.buckets.size() ? s.buckets[i] : 0;
        out += name + "_bucket" + labelText(labels, number(f.bounds[i])) + " " + std::to_string(cumulative) + "\n";
      }
      out += name + "_bucket" + labelText(labels, "+Inf") + " " + std::to_string(s.count) + "\n";
      out += name + "_sum" + labelText(labels) + " " + number(s.sum) + "\n";
      out += name + "_count" + labelText(labels) + " " + std::to_string(s.count) + "\n";
    }
  }
  return out;
}

std::vector<double> MetricsRegistry::latencyBounds() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> MetricsRegistry::durationBounds() {
  return {10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200};
}

}  // namespace ramp::server
