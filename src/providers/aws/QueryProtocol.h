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
#pragma once

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

}  // namespace ramp::providers::aws
