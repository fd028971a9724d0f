// AwsHttpClient.h — HttpTransport over libcurl.
//
// One CURL easy handle per thread (thread_local), reused across requests so
// that connections stay alive (HTTP keep-alive, TLS session reuse) when the
// server allows it. TLS peer and host verification stay on; AWS_CA_BUNDLE
// (a PEM file, read at every request) replaces the system CAs. No signals
// (CURLOPT_NOSIGNAL), bounded connect and total timeouts per request, no
// "Expect: 100-continue". Thread-safe: threads never share a handle.
#pragma once

#include <atomic>

#include "providers/aws/HttpTransport.h"

namespace ramp::providers::aws {

class AwsHttpClient final : public HttpTransport {
 public:
  AwsHttpClient();
  Result<HttpResponse> send(const HttpRequest& request) override;
  static AwsHttpClient& shared();
  // Connections opened by this process's handles (curl's CURLINFO_NUM_CONNECTS summed).
  static long connectionsOpened();
};

}  // namespace ramp::providers::aws
