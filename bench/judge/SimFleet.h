// SimFleet.h — one simulated fleet's cumulative counters as the router keeps
// them: requests, errors, and a latency histogram in the router's buckets
// (0.1 ms × 1.05^k up to 60 s, then +inf).
//
// serve(rng, expectedRequests, profile): one tick of Poisson traffic. Every
// bucket's count is Poisson(rate × P(bucket)) (Poisson thinning: independent,
// and their sum is Poisson(rate)); errors are binomial on the requests.
// Latency is lognormal (median, sigma) per profile.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "analysis/Measurements.h"

namespace ramp::bench {

// How a release behaves: its error rate and lognormal latency.
struct ServiceProfile {
  double errorRate = 0;
  double medianMs = 50;
  double sigma = 0.5;
};

class SimFleet {
 public:
  uint64_t requests = 0, errors = 0;
  std::vector<uint64_t> counts;

  SimFleet();
  static const std::vector<double>& bounds();
  // Bucket probabilities of a profile's latency (cached per profile by the caller).
  static std::vector<double> bucketProbs(const ServiceProfile& p);
  void serve(std::mt19937_64& rng, double expectedRequests, const std::vector<double>& probs, double errorRate);
  analysis::Measurements measurements() const;
  // The counters since `start` (a copy of this fleet taken earlier).
  analysis::Measurements since(const SimFleet& start) const;
};

}  // namespace ramp::bench
