#include "providers/aws/SigV4Request.h"

#include <algorithm>
#include <strings.h>

namespace ramp::providers::aws {

std::string SigV4Request::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  }
  return {};
}

void SigV4Request::setHeader(const std::string& name, std::string value) {
  std::erase_if(headers, [&](const auto& h) { return strcasecmp(h.first.c_str(), name.c_str()) == 0; });
  headers.emplace_back(name, std::move(value));
}

}  // namespace ramp::providers::aws
