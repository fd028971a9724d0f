#include "providers/aws/SnsApi.h"

namespace ramp::providers::aws {

Result<std::string> SnsApi::createTopic(const std::string& name) {
  if (name.empty() || name.size() > 256) return invalid("topic name must be 1..256 characters", "name");
  auto doc = client_.query("sns", "CreateTopic", {{"Name", name}});
  if (!doc) return std::unexpected(doc.error());
  auto arn = doc->root().find("TopicArn").text();
  if (arn.empty()) return internal("CreateTopic answer has no TopicArn", "aws:sns:CreateTopic");
  return arn;
}

Result<std::string> SnsApi::publish(const std::string& topicArn, const std::string& subject, const std::string& message) {
  QueryParams p{{"TopicArn", topicArn}, {"Message", message}};
  // SNS subjects: at most 100 printable ASCII characters.
  if (!subject.empty()) p.emplace_back("Subject", subject.substr(0, 100));
  auto doc = client_.query("sns", "Publish", p);
  if (!doc) return std::unexpected(doc.error());
  return doc->root().find("MessageId").text();
}

}  // namespace ramp::providers::aws
