#include "infra/aws/TopicApi.h"

#include "providers/aws/QueryProtocol.h"

namespace ramp::infra::aws {
namespace {

using providers::aws::tagParams;  // queryDone/queryDoneOrGone are found by their argument
using providers::aws::QueryParams;

}  // namespace

std::string TopicApi::nameOf(const std::string& arn) {
  auto colon = arn.rfind(':');
  return colon == std::string::npos ? arn : arn.substr(colon + 1);
}

Result<std::string> TopicApi::createTopic(const std::string& name, const Tags& tags) {
  if (name.empty() || name.size() > 256) return invalid("topic name must be 1..256 characters", "name");
  QueryParams p{{"Name", name}};
  tagParams(p, tags);
  auto doc = client_.query("sns", "CreateTopic", p);
  if (!doc) return std::unexpected(doc.error());
  auto arn = doc->root().find("TopicArn").text();
  if (arn.empty()) return internal("CreateTopic answer has no TopicArn", "aws:sns:CreateTopic");
  return arn;
}

Result<std::vector<std::string>> TopicApi::listTopics() {
  std::vector<std::string> out;
  std::string token;
  for (int page = 0; page < 1000; ++page) {
    QueryParams p;
    if (!token.empty()) p.emplace_back("NextToken", token);
    auto doc = client_.query("sns", "ListTopics", p);
    if (!doc) return std::unexpected(doc.error());
    for (auto& m : doc->root().find("Topics").children("member")) out.push_back(m.get("TopicArn"));
    token = doc->root().find("NextToken").text();
    if (token.empty()) break;
  }
  return out;
}

Status TopicApi::deleteTopic(const std::string& arn) {
  return queryDoneOrGone(client_.query("sns", "DeleteTopic", {{"TopicArn", arn}}));
}

Status TopicApi::tagResource(const std::string& arn, const Tags& tags) {
  if (tags.empty()) return ok();
  QueryParams p{{"ResourceArn", arn}};
  tagParams(p, tags);
  return queryDone(client_.query("sns", "TagResource", p));
}

Result<Tags> TopicApi::listTags(const std::string& arn) {
  auto doc = client_.query("sns", "ListTagsForResource", {{"ResourceArn", arn}});
  if (!doc) return std::unexpected(doc.error());
  Tags out;
  for (auto& t : doc->root().find("Tags").children("member")) out[t.get("Key")] = t.get("Value");
  return out;
}

}  // namespace ramp::infra::aws
