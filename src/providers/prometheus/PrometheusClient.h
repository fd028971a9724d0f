// PrometheusClient.h — instant queries against a Prometheus server's HTTP
// API (GET /api/v1/query?query=Q), the source of metrics that only the
// service exports (business counters, its own histograms).
//
// Contract:
//   - query(promql) returns the instant vector (or scalar) at the server's
//     "now": each sample's labels and value. An empty vector is a valid
//     answer (no series yet), not an error.
//   - Every request has the configured timeout (connect included); no
//     redirects; http and https only. The answer is read up to 4 MiB.
//   - Errors (Result) name what failed: the server unreachable or slow
//     ("timed out after 2000 ms"), an HTTP status other than 200 with
//     Prometheus' own error text ("bad_data: parse error at char 5 ..."), an
//     answer that is not the API's JSON, a result type other than vector or
//     scalar (a range query's matrix), a value that is not a number.
//   - parse(body) is the pure half (tests feed it answers directly).
// Thread-safe (no shared state besides libcurl's global init).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "core/Result.h"

namespace ramp::providers {

struct PromSample {
  std::map<std::string, std::string> labels;
  double value = 0;
};

class PrometheusClient {
 public:
  PrometheusClient(std::string url, std::chrono::milliseconds timeout);
  Result<std::vector<PromSample>> query(const std::string& promql) const;
  // The API's JSON answer → samples; `status` is the HTTP status.
  static Result<std::vector<PromSample>> parse(long status, const std::string& body);
  const std::string& url() const { return url_; }

 private:
  std::string url_;
  std::chrono::milliseconds timeout_;
};

}  // namespace ramp::providers
