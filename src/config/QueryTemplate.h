// QueryTemplate.h — a metric query as written in ramp.yaml, with the
// placeholders ramp fills in before asking the metric source (Argo
// Rollouts' and Flagger's style): `{{fleet}}` (the fleet being measured: the
// canary's id, then the baseline's), `{{release}}` (its version),
// `{{service}}`, `{{env}}`, `{{region}}`. Spaces inside the braces are
// allowed (`{{ fleet }}`).
//
//   placeholders(text)  every placeholder, or an Error naming the first one
//                       that is unknown or unclosed (the loader reports it
//                       at the query's position)
//   fill(text, values)  the text with each placeholder replaced by its value
//                       escaped for a PromQL string literal (\ and " and
//                       newlines), so a value can never end the literal
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/Result.h"

namespace ramp::config {

class QueryTemplate {
 public:
  static const std::vector<std::string>& names();
  static Result<std::vector<std::string>> placeholders(const std::string& text);
  static Result<std::string> fill(const std::string& text, const std::map<std::string, std::string>& values);
};

}  // namespace ramp::config
