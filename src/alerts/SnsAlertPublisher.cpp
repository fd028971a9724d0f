#include "alerts/SnsAlertPublisher.h"

#include "providers/aws/SnsApi.h"

namespace ramp::alerts {

using providers::aws::AwsClientOptions;
using providers::aws::AwsRegionClients;
using providers::aws::SnsApi;

SnsAlertPublisher::SnsAlertPublisher() = default;

SnsAlertPublisher::SnsAlertPublisher(AwsRegionClients& clients) : clients_(&clients) {}

AwsRegionClients& SnsAlertPublisher::clients() {
  std::lock_guard lock(mu_);
  if (!clients_) {
    AwsClientOptions o;
    o.timeout = std::chrono::milliseconds(5000);
    owned_ = std::make_unique<AwsRegionClients>(o);
    clients_ = owned_.get();
  }
  return *clients_;
}

std::string SnsAlertPublisher::regionOf(const std::string& topicArn) {
  // arn : partition : sns : REGION : account : name
  size_t p1 = topicArn.find(':');
  size_t p2 = p1 == std::string::npos ? p1 : topicArn.find(':', p1 + 1);
  size_t p3 = p2 == std::string::npos ? p2 : topicArn.find(':', p2 + 1);
  size_t p4 = p3 == std::string::npos ? p3 : topicArn.find(':', p3 + 1);
  if (p4 == std::string::npos || topicArn.compare(0, p1, "arn") != 0 ||
      topicArn.compare(p2 + 1, p3 - p2 - 1, "sns") != 0 || topicArn.find(':', p4 + 1) == std::string::npos) {
    return "";
  }
  return topicArn.substr(p3 + 1, p4 - p3 - 1);
}

PublishOutcome SnsAlertPublisher::publish(const std::string& topicArn, const std::string& subject,
                                          const std::string& message, std::chrono::milliseconds /*timeout*/) {
  PublishOutcome out;
  std::string region = regionOf(topicArn);
  if (region.empty()) {
    out.error = "'" + topicArn.substr(0, 120) + "' is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)";
    out.retryable = false;
    return out;
  }
  SnsApi sns(clients().forRegion(region));
  auto id = sns.publish(topicArn, subject, message);
  if (!id) {
    out.error = "SNS Publish: " + id.error().describe();
    auto code = id.error().code;
    out.retryable = code == ErrorCode::kUnavailable || code == ErrorCode::kInternal;
    return out;
  }
  out.delivered = true;
  out.messageId = *id;
  return out;
}

}  // namespace ramp::alerts
