#include "analysis/LatencySample.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace ramp::analysis {

namespace {
// Raw samples of 0 ms cannot go on the log scale; they are treated as 1 ns.
constexpr double kFloorMs = 1e-6;
}  // namespace

Result<LatencySample> LatencySample::fromHistogram(const std::vector<double>& b,
                                                   const std::vector<uint64_t>& counts,
                                                   const std::string& where) {
  if (b.size() < 2) return invalid("a latency histogram needs at least 2 bounds", where + ".bounds");
  if (counts.size() != b.size())
    return invalid(fmt::format("{} counts for {} bounds (must be equal)", counts.size(), b.size()),
                   where + ".counts");
  if (!std::isinf(b.back()) || b.back() < 0)
    return invalid("the last bound must be +inf", where + fmt::format(".bounds[{}]", b.size() - 1));
  for (size_t i = 0; i + 1 < b.size(); ++i) {
    if (!std::isfinite(b[i]) || b[i] <= 0)
      return invalid(fmt::format("bound {} must be finite and > 0", b[i]),
                     where + fmt::format(".bounds[{}]", i));
    if (i > 0 && !(b[i] > b[i - 1]))
      return invalid(fmt::format("bounds must increase strictly ({} after {})", b[i], b[i - 1]),
                     where + fmt::format(".bounds[{}]", i));
  }
  LatencySample s;
  s.histogram_ = true;
  const size_t last = b.size() - 1;
  auto logWidth = [&](size_t i) -> double {  // width of bucket i on the log scale
    if (i == 0) return last >= 2 ? std::log(b[1] / b[0]) : std::log(2.0);
    if (i == last) return last >= 2 ? std::log(b[last - 1] / b[last - 2]) : std::log(2.0);
    return std::log(b[i] / b[i - 1]);
  };
  for (size_t i = 0; i < b.size(); ++i) {
    if (counts[i] == 0) continue;
    double w = logWidth(i);
    double hi = (i == last) ? std::log(b[last - 1]) + w : std::log(b[i]);
    Atom a{hi - w / 2, static_cast<double>(counts[i]), w / 2, i == 0 ? 0.0 : b[i - 1], b[i]};
    s.atoms_.push_back(a);
    s.total_ += a.weight;
    s.maxHalfWidth_ = std::max(s.maxHalfWidth_, a.halfWidth);
  }
  return s;
}

Result<LatencySample> LatencySample::fromSamples(const std::vector<double>& samples,
                                                 const std::string& where, double outlierFactor) {
  LatencySample s;
  std::vector<double> xs;
  xs.reserve(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    double v = samples[i];
    if (std::isnan(v)) {
      ++s.nanRemoved_;
      continue;
    }
    if (v < 0 || std::isinf(v))
      return invalid(fmt::format("latency sample {} is not a finite value >= 0", v),
                     where + fmt::format(".samples[{}]", i));
    xs.push_back(std::log(std::max(v, kFloorMs)));
  }
  std::sort(xs.begin(), xs.end());
  if (outlierFactor > 0 && xs.size() >= 4) {
    auto q = [&](double p) {  // linear interpolation between order statistics
      double pos = p * static_cast<double>(xs.size() - 1);
      size_t k = static_cast<size_t>(pos);
      double f = pos - static_cast<double>(k);
      return k + 1 < xs.size() ? xs[k] * (1 - f) + xs[k + 1] * f : xs[k];
    };
    double q1 = q(0.25), q3 = q(0.75), iqr = q3 - q1;
    double lo = q1 - outlierFactor * iqr, hi = q3 + outlierFactor * iqr;
    size_t before = xs.size();
    std::erase_if(xs, [&](double x) { return x < lo || x > hi; });
    s.outliersRemoved_ = before - xs.size();
  }
  for (double x : xs) {
    if (!s.atoms_.empty() && s.atoms_.back().x == x) {
      s.atoms_.back().weight += 1;
    } else {
      s.atoms_.push_back(Atom{x, 1, 0, std::exp(x), std::exp(x)});
    }
    s.total_ += 1;
  }
  return s;
}

Result<LatencySample> LatencySample::of(const LatencyData& d, const std::string& where, double outlierFactor) {
  if (d.hasSamples()) return fromSamples(d.samplesMs, where, outlierFactor);
  if (d.hasHistogram()) return fromHistogram(d.boundsMs, d.counts, where);
  return LatencySample{};
}

std::pair<double, double> LatencySample::orderStatisticMs(double k) const {
  double acc = 0;
  for (const auto& a : atoms_) {
    acc += a.weight;
    if (acc >= k) return {a.loMs, a.hiMs};
  }
  if (atoms_.empty()) return {NAN, NAN};
  return {atoms_.back().loMs, atoms_.back().hiMs};
}

double LatencySample::quantileMs(double q) const {
  if (atoms_.empty()) return NAN;
  double target = q * total_;
  double acc = 0;
  for (const auto& a : atoms_) {
    if (acc + a.weight >= target) {
      if (a.halfWidth == 0) return std::exp(a.x);
      double f = a.weight > 0 ? (target - acc) / a.weight : 0.5;
      return std::exp(a.x - a.halfWidth + 2 * a.halfWidth * f);
    }
    acc += a.weight;
  }
  return std::exp(atoms_.back().x + atoms_.back().halfWidth);
}

double LatencySample::medianMs() const {
  if (atoms_.empty()) return NAN;
  if (!histogram_) {
    // Raw samples: the usual median (mean of the two middle values when even).
    double half = total_ / 2, acc = 0;
    for (size_t i = 0; i < atoms_.size(); ++i) {
      acc += atoms_[i].weight;
      if (acc > half) return std::exp(atoms_[i].x);
      if (acc == half && i + 1 < atoms_.size())
        return (std::exp(atoms_[i].x) + std::exp(atoms_[i + 1].x)) / 2;
    }
    return std::exp(atoms_.back().x);
  }
  return quantileMs(0.5);
}

double LatencySample::meanMs() const {
  if (atoms_.empty()) return NAN;
  double sum = 0;
  for (const auto& a : atoms_) sum += a.weight * std::exp(a.x);
  return sum / total_;
}

}  // namespace ramp::analysis
