// AwsRegionClients.h — one AwsClient per region, made on first use.
//
// The AWS providers call several regions (an environment may list many);
// each region gets its own client (signing scope, endpoint) from a template
// of options, sharing credentials, transport, clock, sleeper and the rate
// budget. Production: the standard credentials chain, libcurl, the shared
// budget; tests pass moto's endpoint and static credentials. Clients live
// as long as this object; forRegion returns a stable reference. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "providers/aws/AwsClient.h"

namespace ramp::providers::aws {

class AwsRegionClients {
 public:
  // `base.region` is the default region; `base.account` keys the rate budget.
  AwsRegionClients(AwsClientOptions base, std::shared_ptr<CredentialsProvider> credentials, HttpTransport& http,
                   Clock& clock, Sleeper& sleeper, RateBudget& budget);
  // Production: standard credentials chain and shared transport/budget.
  explicit AwsRegionClients(AwsClientOptions base = {});

  AwsClient& forRegion(const std::string& region);
  const std::string& defaultRegion() const { return base_.region; }
  // Calls made so far by every region's client (AwsClientStats::calls).
  long callsMade();

 private:
  AwsClientOptions base_;
  std::shared_ptr<CredentialsProvider> credentials_;
  HttpTransport& http_;
  Clock& clock_;
  Sleeper& sleeper_;
  RateBudget& budget_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<AwsClient>> clients_;
};

}  // namespace ramp::providers::aws
