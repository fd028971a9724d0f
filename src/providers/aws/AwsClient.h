// AwsClient.h — signed, budgeted, retried calls to AWS APIs, by protocol.
//
//   query(service, action, params)   Query protocol (elasticloadbalancing,
//                                    autoscaling, monitoring, sns, sts, iam)
//                                    and the EC2 variant (ec2): form-encoded
//                                    POST of Action/Version, XML answer
//   restXml(service, method, path, query, body, action)   REST-XML (route53)
//   json(service, targetPrefix, action, body)             JSON 1.0/1.1
//                                    (ssm "AmazonSSM", secretsmanager, dynamodb)
//   rest(service, method, path, query, headers, body, action, hostPrefix)
//                                    raw REST (s3): the 2xx HttpResponse as is.
//                                    For s3 the path is not normalized and
//                                    X-Amz-Content-Sha256 is signed; a
//                                    hostPrefix ("<bucket>") makes the host
//                                    "<bucket>.<endpoint host>" unless an
//                                    endpoint override is in use (then the
//                                    caller addresses path-style).
//
// Every call: waits for the shared RateBudget (account + region + API
// family), gets credentials from the provider, signs with SigV4 for the
// endpoint's scope, sends over the HttpTransport, and retries per the
// standard RetryPolicy (throttling, 5xx, timeouts, dropped connections;
// backoff through the injected Sleeper). Failures come back as ramp Errors
// (AwsError::toError: message "<Code>: <message> (HTTP n, request id r)",
// where "aws:<service>:<Action>"; after retries throttling and 5xx are
// kUnavailable). Credentials never appear in errors or logs.
// Thread-safe; one client per (account, region) is the intended use.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/Clock.h"
#include "core/Result.h"
#include "providers/aws/CredentialsProvider.h"
#include "providers/aws/HttpTransport.h"
#include "providers/aws/RateBudget.h"
#include "providers/aws/RetryPolicy.h"
#include "providers/aws/Sleeper.h"
#include "providers/aws/XmlDoc.h"

namespace ramp::providers::aws {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

struct AwsClientOptions {
  std::string region = "us-east-1";
  // "" = AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL if set, else AWS's endpoint.
  std::string endpointOverride;
  // Key of the rate budget (one set of buckets per account and region).
  std::string account = "default";
  RetryConfig retry = RetryPolicy::fromEnvironment();
  Millis timeout{30'000};
  Millis connectTimeout{5'000};
};

struct AwsClientStats {
  std::atomic<long> calls{0};
  std::atomic<long> attempts{0};
  std::atomic<long> retries{0};
  std::atomic<long> throttled{0};
  std::atomic<long> budgetWaitMs{0};
};

class AwsClient {
 public:
  AwsClient(AwsClientOptions options, std::shared_ptr<CredentialsProvider> credentials,
            HttpTransport& http, Clock& clock, Sleeper& sleeper, RateBudget& budget);
  // Production wiring: libcurl, system clock, real sleeps, the shared budget.
  AwsClient(AwsClientOptions options, std::shared_ptr<CredentialsProvider> credentials);

  // How a call is retried. kAlways: AWS's standard mode. kIfNotCarriedOut:
  // a failure after which AWS may have carried the request out (a timeout, a
  // dropped answer, a 5xx) is returned at once instead of being sent again,
  // marked so that maybeCarriedOut() is true: the caller looks whether it
  // happened (by name, tag or client token) before sending it again — for
  // creates that would otherwise make a twin (CreateLoadBalancer on moto,
  // rules and listeners that then fail as duplicates).
  enum class Retry { kAlways, kIfNotCarriedOut };
  Result<XmlDoc> query(std::string_view service, std::string_view action, const QueryParams& params,
                       Retry retry = Retry::kAlways);
  static bool maybeCarriedOut(const Error& e);
  Result<XmlDoc> restXml(std::string_view service, std::string_view method, std::string_view path,
                         const QueryParams& query, std::string body, std::string_view action);
  Result<nlohmann::json> json(std::string_view service, std::string_view targetPrefix, std::string_view action,
                              const nlohmann::json& body, std::string_view jsonVersion = "1.1");
  Result<HttpResponse> rest(std::string_view service, std::string_view method, std::string_view path,
                            const QueryParams& query, std::vector<std::pair<std::string, std::string>> headers,
                            std::string body, std::string_view action, std::string_view hostPrefix = {});
  // True when calls to `service` go to an endpoint override (emulators).
  bool overridden(std::string_view service) const;

  // The API version the Query/EC2 protocol sends for a service.
  static std::string apiVersion(std::string_view service);
  // A Query-protocol form body: RFC 3986 encoding with spaces as "+", as
  // the AWS SDKs send it (application/x-www-form-urlencoded; AWS accepts
  // "%20" too, but moto re-encodes the form before it checks a signature
  // and only "+" survives that: docs/aws.md, "moto caveats").
  static std::string formEncode(const QueryParams& params);
  // A URL query string: RFC 3986 encoding, spaces as "%20" (what SigV4's
  // canonical query string uses).
  static std::string queryEncode(const QueryParams& params);

  const AwsClientOptions& options() const { return options_; }
  const AwsClientStats& stats() const { return stats_; }
  RetryPolicy& retryPolicy() { return retry_; }

 private:
  Result<HttpResponse> call(std::string_view service, std::string_view action, std::string_view method,
                            std::string path, std::string rawQuery,
                            std::vector<std::pair<std::string, std::string>> headers, std::string body,
                            bool unfilteredDescribe, std::string_view hostPrefix = {}, Retry retry = Retry::kAlways);

  AwsClientOptions options_;
  std::shared_ptr<CredentialsProvider> credentials_;
  HttpTransport& http_;
  Clock& clock_;
  Sleeper& sleeper_;
  RateBudget& budget_;
  RetryPolicy retry_;
  AwsClientStats stats_;
};

}  // namespace ramp::providers::aws
