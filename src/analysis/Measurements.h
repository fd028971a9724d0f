// Measurements.h — what the judge compares: one fleet's data over an analysis
// window, per metric.
//
// Contract: every count is a delta over the window being judged (for the
// sequential driver: cumulative since the analysis began). Latency comes
// either as a histogram (upper bounds in ms, strictly increasing, +inf last,
// one count per bound; a value v falls in the first bucket whose bound is
// >= v) or as raw samples in ms. Canary and baseline histograms of one metric
// must share the same bounds. Plain values, no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ramp::analysis {

// Requests and failed requests (5xx + upstream errors) of one fleet.
struct ErrorCounts {
  uint64_t requests = 0;
  uint64_t errors = 0;
};

// Latency of one fleet: a histogram (bounds + counts) or raw samples. When
// both are given the samples win.
struct LatencyData {
  std::vector<double> boundsMs;    // upper bounds, +inf last
  std::vector<uint64_t> counts;    // same length as boundsMs
  std::vector<double> samplesMs;   // raw samples (NaN removed, must be >= 0)
  bool hasHistogram() const { return !boundsMs.empty(); }
  bool hasSamples() const { return !samplesMs.empty(); }
};

// One fleet's measurements, keyed by metric name (the names of JudgeConfig's
// metrics). A metric of kind error_rate reads `errors`, of kind latency reads
// `latency`.
struct Measurements {
  std::map<std::string, ErrorCounts> errors;
  std::map<std::string, LatencyData> latency;

  // The usual shape coming from a router or CloudWatch: one error-rate metric
  // named "error_rate" and one latency metric named "latency".
  static Measurements ofFleet(uint64_t requests, uint64_t failed, std::vector<double> boundsMs,
                              std::vector<uint64_t> counts) {
    Measurements m;
    m.errors["error_rate"] = ErrorCounts{requests, failed};
    m.latency["latency"] = LatencyData{std::move(boundsMs), std::move(counts), {}};
    return m;
  }
};

}  // namespace ramp::analysis
