// HttpTransport.h — one HTTP exchange, as the AWS client needs it (interface).
//
// send() returns an HttpResponse for every exchange that reached a verdict,
// including failures of the connection (status 0, transportError set,
// timedOut for timeouts), so that the retry policy can tell them apart.
// It returns an Error only for a request that cannot be sent at all (bad URL).
// A request with replayable == false is sent at most once per send().
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
  // False for a request that must never reach the service twice from one
  // send() (a create AWS does not make idempotent by name). libcurl replays
  // a request by itself, on a new connection, when a kept-alive connection
  // it reused closes without an answer; the request may have been carried
  // out before that close (seen with moto behind a proxy that drops answers:
  // a second load balancer). Such a request goes on a connection of its own.
  bool replayable = true;
};

struct HttpResponse {
  int status = 0;                              // 0: no HTTP answer
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string transportError;                  // set when status == 0
  bool timedOut = false;
  // Set when status == 0 and the request surely never reached the server
  // (the name did not resolve, or the connection was refused or never
  // made), so sending it again cannot make a twin. A connection reset or
  // closed after the request was written is NOT this: it may have been done.
  bool notSent = false;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
};

}  // namespace ramp::providers::aws
