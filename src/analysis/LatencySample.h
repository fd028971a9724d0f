// LatencySample.h — one fleet's latencies prepared for rank tests.
//
// Values are kept on the log scale (a latency regression is multiplicative:
// "20% slower"), as weighted atoms sorted by value. Raw samples become atoms
// of width 0 (equal values merged, so ties are exact). A histogram bucket
// (lo, hi] becomes one atom at the geometric mean sqrt(lo*hi) spread uniformly
// over [log lo, log hi] on the log scale; the first bucket [0, b0] and the
// +inf bucket get the width of their neighbour (b0/sqrt(b1/b0) .. b0, and
// likewise above the last finite bound). The spread only matters when the
// sample is compared against a *shifted* other sample (confidence intervals,
// tolerance tests): at shift 0 a bucket is exactly one tied group.
//
// Every atom also keeps the exact range its values lie in (loMs..hiMs: a raw
// sample's value itself; a bucket's (lo, hi], 0 below the first bound, +inf
// in the last bucket), so that order statistics can be bracketed exactly
// (orderStatisticMs, for the distribution-free quantile bounds of HarmBound.h).
//
// Construction validates its input and names the offending field in the
// error (`where` is a prefix such as "canary.latency").
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "analysis/Measurements.h"
#include "core/Result.h"

namespace ramp::analysis {

class LatencySample {
 public:
  struct Atom {
    double x = 0;          // log(ms)
    double weight = 0;     // how many observations
    double halfWidth = 0;  // spread on the log scale (0 for raw samples)
    double loMs = 0;       // the values lie in [loMs, hiMs] (raw: both the value)
    double hiMs = 0;
  };

  // A fleet's LatencyData as a sample: raw samples when it has them, else
  // its histogram, else empty (`where`: "canary.latency").
  static Result<LatencySample> of(const LatencyData& data, const std::string& where, double outlierFactor = 0);

  // bounds: strictly increasing, > 0, last +inf; counts: same length.
  static Result<LatencySample> fromHistogram(const std::vector<double>& boundsMs,
                                             const std::vector<uint64_t>& counts,
                                             const std::string& where);
  // NaN samples are dropped (counted in nanRemoved()); negative or infinite
  // ones are an error. outlierFactor k > 0 drops values outside the Tukey
  // fences [Q1 - k*IQR, Q3 + k*IQR] (computed on the log scale); 0 keeps all.
  static Result<LatencySample> fromSamples(const std::vector<double>& samplesMs,
                                           const std::string& where, double outlierFactor = 0);

  const std::vector<Atom>& atoms() const { return atoms_; }
  double count() const { return total_; }
  double maxHalfWidth() const { return maxHalfWidth_; }
  bool isHistogram() const { return histogram_; }
  uint64_t nanRemoved() const { return nanRemoved_; }
  uint64_t outliersRemoved() const { return outliersRemoved_; }
  // Weighted median and mean in ms (atoms at their representative value).
  double medianMs() const;
  double meanMs() const;
  // Weighted quantile q in [0,1] in ms, interpolated inside a histogram
  // bucket on the log scale (raw samples: the order statistic).
  double quantileMs(double q) const;
  // The range [lo, hi] in ms the k-th smallest value (1-based, k <= count())
  // lies in: exact for raw samples, its bucket's bounds for a histogram.
  std::pair<double, double> orderStatisticMs(double k) const;

 private:
  std::vector<Atom> atoms_;
  double total_ = 0;
  double maxHalfWidth_ = 0;
  bool histogram_ = false;
  uint64_t nanRemoved_ = 0;
  uint64_t outliersRemoved_ = 0;
};

}  // namespace ramp::analysis
