// QueryProtocol.h — the shapes every AWS Query-protocol API (elasticloadbalancing,
// autoscaling, monitoring, sns, iam) shares, written once for the typed
// APIs of providers/aws and infra/aws:
//
//   memberParams(p, "Names", {a, b})  Names.member.1=a, Names.member.2=b
//   tagParams(p, tags)                Tags.member.N.Key / .Value, in key order
//   queryInt("42")                    42; "" or not a number: 0 (answers' numbers)
//   queryDone(doc) / queryDoneOrGone(doc)
//                                     a call's answer as a Status; the second
//                                     also takes kNotFound as done (deletes of
//                                     something already gone).
//   queryPages(client, svc, action, params, kNextToken, 100, read)
//                                     a paginated call page by page: params
//                                     plus the previous answer's token, until
//                                     an answer has none (or maxPages); read
//                                     takes each answer. The tokens: NextToken
//                                     (autoscaling, monitoring), Marker /
//                                     NextMarker (elasticloadbalancing), EC2's
//                                     NextToken / nextToken.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "providers/aws/AwsClient.h"

namespace ramp::providers::aws {

void memberParams(QueryParams& p, const std::string& prefix, const std::vector<std::string>& values);
void tagParams(QueryParams& p, const std::map<std::string, std::string>& tags);
int queryInt(const std::string& s);
Status queryDone(const Result<XmlDoc>& doc);
Status queryDoneOrGone(const Result<XmlDoc>& doc);

// The token that pages a call: its request parameter and its element in the answer.
struct PageToken {
  const char* param;
  const char* answer;
};
inline constexpr PageToken kNextToken{"NextToken", "NextToken"};
inline constexpr PageToken kNextMarker{"Marker", "NextMarker"};
inline constexpr PageToken kEc2NextToken{"NextToken", "nextToken"};

Status queryPages(AwsClient& client, std::string_view service, std::string_view action, const QueryParams& params,
                  PageToken token, int maxPages, const std::function<void(const XmlNode& answer)>& read);

}  // namespace ramp::providers::aws
