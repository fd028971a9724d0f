// SnsAlertPublisher.h — alerts published to SNS topics (AlertPublisher).
//
// The region comes from the topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME);
// each region gets one AwsClient (AwsRegionClients), made on first use, so
// constructing this object makes no AWS call and reads no credentials. The
// production constructor uses the standard credentials chain and honours
// AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_SNS (emulators). The AwsClient's own
// retry (throttling, 5xx) applies within one publish; the notifier retries
// across publishes. `timeout` of publish() is not applied per call: the
// clients' request timeout (AwsClientOptions::timeout, 5 s here by default)
// bounds each HTTP request.
#pragma once

#include <memory>
#include <mutex>

#include "alerts/AlertPublisher.h"
#include "providers/aws/AwsRegionClients.h"

namespace ramp::alerts {

class SnsAlertPublisher final : public AlertPublisher {
 public:
  // Production: clients made lazily with the standard credentials chain.
  SnsAlertPublisher();
  // Tests: the given clients (moto endpoint, static credentials).
  explicit SnsAlertPublisher(providers::aws::AwsRegionClients& clients);

  PublishOutcome publish(const std::string& topicArn, const std::string& subject, const std::string& message,
                         std::chrono::milliseconds timeout) override;

  // The REGION of arn:aws:sns:REGION:ACCOUNT:NAME; "" when it is not one.
  static std::string regionOf(const std::string& topicArn);

 private:
  providers::aws::AwsRegionClients& clients();

  std::mutex mu_;
  std::unique_ptr<providers::aws::AwsRegionClients> owned_;
  providers::aws::AwsRegionClients* clients_ = nullptr;
};

}  // namespace ramp::alerts
