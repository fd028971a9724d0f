// SnsApi.h — typed SNS calls over AwsClient (Query protocol): a topic for
// deployment alerts (CreateTopic is idempotent by name and returns the
// existing topic's ARN) and Publish (returns the MessageId).
#pragma once

#include <string>

#include "providers/aws/AwsClient.h"

namespace ramp::providers::aws {

class SnsApi {
 public:
  explicit SnsApi(AwsClient& client) : client_(client) {}

  Result<std::string> createTopic(const std::string& name);
  Result<std::string> publish(const std::string& topicArn, const std::string& subject, const std::string& message);

 private:
  AwsClient& client_;
};

}  // namespace ramp::providers::aws
