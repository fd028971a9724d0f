#include "providers/aws/AwsRegionClients.h"

#include "providers/aws/AwsHttpClient.h"
#include "providers/aws/CredentialsChain.h"
#include "providers/aws/ThreadSleeper.h"

namespace ramp::providers::aws {

AwsRegionClients::AwsRegionClients(AwsClientOptions base, std::shared_ptr<CredentialsProvider> credentials,
                                   HttpTransport& http, Clock& clock, Sleeper& sleeper, RateBudget& budget)
    : base_(std::move(base)),
      credentials_(std::move(credentials)),
      http_(http),
      clock_(clock),
      sleeper_(sleeper),
      budget_(budget) {}

AwsRegionClients::AwsRegionClients(AwsClientOptions base)
    : AwsRegionClients(std::move(base), CredentialsChain::standard(AwsHttpClient::shared(), SystemClock::instance()),
                       AwsHttpClient::shared(), SystemClock::instance(), ThreadSleeper::instance(),
                       RateBudget::shared()) {}

AwsClient& AwsRegionClients::forRegion(const std::string& region) {
  std::lock_guard lock(mu_);
  std::string r = region.empty() ? base_.region : region;
  auto it = clients_.find(r);
  if (it != clients_.end()) return *it->second;
  AwsClientOptions o = base_;
  o.region = r;
  auto client = std::make_unique<AwsClient>(o, credentials_, http_, clock_, sleeper_, budget_);
  return *clients_.emplace(r, std::move(client)).first->second;
}

long AwsRegionClients::callsMade() {
  std::lock_guard lock(mu_);
  long n = 0;
  for (const auto& [region, c] : clients_) n += c->stats().calls.load();
  return n;
}

}  // namespace ramp::providers::aws
