// HttpTransport.h — one HTTP exchange, as the AWS client needs it (interface).
//
// send() returns an HttpResponse for every exchange that reached a verdict,
// including failures of the connection (status 0, transportError set,
// timedOut for timeouts), so that the retry policy can tell them apart.
// It returns an Error only for a request that cannot be sent at all (bad URL).
// Implementations: AwsHttpClient (libcurl); tests may fake it.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/Clock.h"
#include "core/Result.h"

namespace ramp::providers::aws {

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // full URL with query string
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  Millis timeout{30'000};
  Millis connectTimeout{5'000};
};

struct HttpResponse {
  int status = 0;                              // 0: no HTTP answer
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string transportError;                  // set when status == 0
  bool timedOut = false;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
};

}  // namespace ramp::providers::aws
