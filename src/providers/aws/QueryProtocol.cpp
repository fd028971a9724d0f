#include "providers/aws/QueryProtocol.h"

namespace ramp::providers::aws {

void memberParams(QueryParams& p, const std::string& prefix, const std::vector<std::string>& values) {
  for (size_t i = 0; i < values.size(); ++i) p.emplace_back(prefix + ".member." + std::to_string(i + 1), values[i]);
}

void tagParams(QueryParams& p, const std::map<std::string, std::string>& tags) {
  int i = 0;
  for (const auto& [k, v] : tags) {
    std::string key = "Tags.member." + std::to_string(++i);
    p.emplace_back(key + ".Key", k);
    p.emplace_back(key + ".Value", v);
  }
}

int queryInt(const std::string& s) {
  try {
    return s.empty() ? 0 : std::stoi(s);
  } catch (...) {
    return 0;
  }
}

Status queryDone(const Result<XmlDoc>& doc) {
  if (!doc) return std::unexpected(doc.error());
  return ok();
}

Status queryDoneOrGone(const Result<XmlDoc>& doc) {
  if (!doc && doc.error().code != ErrorCode::kNotFound) return std::unexpected(doc.error());
  return ok();
}

Status queryPages(AwsClient& client, std::string_view service, std::string_view action, const QueryParams& params,
                  PageToken token, int maxPages, const std::function<void(const XmlNode& answer)>& read) {
  std::string next;
  for (int page = 0; page < maxPages; ++page) {
    QueryParams p = params;
    if (!next.empty()) p.emplace_back(token.param, next);
    auto doc = client.query(service, action, p);
    if (!doc) return std::unexpected(doc.error());
    read(doc->root());
    next = doc->root().find(token.answer).text();
    if (next.empty()) break;
  }
  return ok();
}

}  // namespace ramp::providers::aws
