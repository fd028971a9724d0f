// SigV4Request.h — the parts of an HTTP request that Signature Version 4 covers.
//
// path is the request path as the caller means it (unencoded, e.g. "/a b");
// the signer normalizes and URI-encodes it. query is the raw query string as
// sent on the wire (without '?'); the signer decodes and re-encodes it
// canonically. Headers keep their order and may repeat.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ramp::providers::aws {

struct SigV4Request {
  std::string method;
  std::string path = "/";
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first value of header `name` (case-insensitive), or "".
  std::string header(const std::string& name) const;
  // Replaces every header `name` (case-insensitive) with one value.
  void setHeader(const std::string& name, std::string value);
};

}  // namespace ramp::providers::aws
