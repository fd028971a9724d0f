#include "providers/aws/AwsClient.h"

#include "providers/aws/AwsEndpoint.h"
#include "providers/aws/AwsError.h"
#include "providers/aws/AwsHttpClient.h"
#include "providers/aws/SigV4Signer.h"
#include "providers/aws/ThreadSleeper.h"

namespace ramp::providers::aws {

namespace {
constexpr std::string_view kMaybeCarriedOut = " (AWS may have carried the request out; look before sending it again)";
}  // namespace

AwsClient::AwsClient(AwsClientOptions options, std::shared_ptr<CredentialsProvider> credentials, HttpTransport& http,
                     Clock& clock, Sleeper& sleeper, RateBudget& budget)
    : options_(std::move(options)),
      credentials_(std::move(credentials)),
      http_(http),
      clock_(clock),
      sleeper_(sleeper),
      budget_(budget),
      retry_(options_.retry) {}

AwsClient::AwsClient(AwsClientOptions options, std::shared_ptr<CredentialsProvider> credentials)
    : AwsClient(std::move(options), std::move(credentials), AwsHttpClient::shared(), SystemClock::instance(),
                ThreadSleeper::instance(), RateBudget::shared()) {}

std::string AwsClient::apiVersion(std::string_view service) {
  if (service == "elasticloadbalancing") return "2015-12-01";
  if (service == "autoscaling") return "2011-01-01";
  if (service == "ec2") return "2016-11-15";
  if (service == "monitoring") return "2010-08-01";
  if (service == "sns") return "2010-03-31";
  if (service == "sts") return "2011-06-15";
  if (service == "iam") return "2010-05-08";
  return {};
}

namespace {
// RFC 3986 encoding of every byte but the unreserved ones; in a form body a
// space may be "+" instead of "%20" (application/x-www-form-urlencoded).
std::string encodePairs(const QueryParams& params, bool spaceAsPlus) {
  std::string out;
  auto enc = [&](const std::string& s) {
    std::string e = SigV4Signer::uriEncode(s);
    if (!spaceAsPlus) return e;
    std::string r;
    r.reserve(e.size());
    for (size_t i = 0; i < e.size(); ++i) {
      if (e.compare(i, 3, "%20") == 0) {
        r += '+';
        i += 2;
      } else {
        r += e[i];
      }
    }
    return r;
  };
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += enc(k) + "=" + enc(v);
  }
  return out;
}
}  // namespace

std::string AwsClient::formEncode(const QueryParams& params) { return encodePairs(params, true); }

std::string AwsClient::queryEncode(const QueryParams& params) { return encodePairs(params, false); }

Result<HttpResponse> AwsClient::call(std::string_view service, std::string_view action, std::string_view method,
                                     std::string path, std::string rawQuery,
                                     std::vector<std::pair<std::string, std::string>> headers, std::string body,
                                     bool unfilteredDescribe, std::string_view hostPrefix, Retry retry) {
  std::string where = "aws:" + std::string(service) + ":" + std::string(action);
  std::string override = options_.endpointOverride.empty() ? AwsEndpoint::overrideFromEnvironment(service)
                                                            : options_.endpointOverride;
  auto ep = AwsEndpoint::resolve(service, options_.region, override);
  if (!ep) return std::unexpected(ep.error());
  if (!hostPrefix.empty() && override.empty()) {
    ep->host = std::string(hostPrefix) + "." + ep->host;
    ep->url = "https://" + ep->host;
  }
  SigV4Options sigOptions;
  if (service == "s3") {
    sigOptions.normalizePath = false;
    sigOptions.contentSha256Header = true;
  }
  // Route 53 (REST-XML): the payload's hash is also sent, signed, as
  // X-Amz-Content-Sha256 (AWS accepts it; botocore does the same for S3).
  // moto re-derives a GET's "payload" from its query or headers when it
  // checks signatures and only trusts this header (docs/aws.md).
  if (service == "route53") sigOptions.contentSha256Header = true;
  SigV4Signer signer(ep->signingRegion, ep->signingService, sigOptions);
  std::string url = ep->url + SigV4Signer::uriEncode(path, true) + (rawQuery.empty() ? "" : "?" + rawQuery);
  ++stats_.calls;
  int tokensHeld = 0;
  const int maxAttempts = std::max(1, retry_.config().maxAttempts);
  std::string lastProblem;
  for (int attempt = 1; attempt <= maxAttempts; ++attempt) {
    auto waited = budget_.acquire(options_.account, ep->signingRegion, service, action, unfilteredDescribe);
    if (!waited) return std::unexpected(waited.error());
    stats_.budgetWaitMs += waited->count();
    auto creds = credentials_->credentials();
    if (!creds) return std::unexpected(creds.error());
    SigV4Request req{std::string(method), path, rawQuery, headers, body};
    req.setHeader("Host", ep->host);
    signer.sign(req, *creds, clock_.now());
    HttpRequest http{std::string(method), url, req.headers, body, options_.timeout, options_.connectTimeout};
    http.replayable = retry != Retry::kIfNotCarriedOut;
    ++stats_.attempts;
    auto resp = http_.send(http);
    if (!resp) return std::unexpected(resp.error());
    FailureKind kind;
    Error err;
    if (resp->status == 0) {
      kind = resp->timedOut ? FailureKind::kTimeout : FailureKind::kConnection;
      err = Error{ErrorCode::kUnavailable,
                  std::string(resp->timedOut ? "RequestTimeout: " : "ConnectionError: ") + resp->transportError +
                      " (" + ep->url + ")",
                  where};
    } else if (resp->status >= 200 && resp->status < 300) {
      retry_.onSuccess(tokensHeld);
      return resp;
    } else {
      auto aws = AwsError::parse(resp->status, resp->body, resp->headers);
      if (aws.throttling) ++stats_.throttled;
      kind = RetryPolicy::classify(resp->status, aws.code);
      err = aws.toError(service, action);
    }
    // The answer is lost (or the service failed) after the request may have
    // been carried out: the caller looks before sending it again.
    // (A connection reset after the request was written may have been
    // carried out: only a request the transport knows it never sent is
    // surely not; its "Connection reset by peer" once read as "could not
    // connect" here, and a create was sent twice.)
    bool maybeDone = kind == FailureKind::kTimeout || (kind == FailureKind::kConnection && !resp->notSent) ||
                     (resp->status >= 500 && kind != FailureKind::kThrottling);
    if (retry == Retry::kIfNotCarriedOut && maybeDone) {
      err.code = ErrorCode::kUnavailable;
      err.permanent = false;
      err.message += std::string(kMaybeCarriedOut);
      return std::unexpected(err);
    }
    auto delay = retry_.beforeRetry(attempt, kind, tokensHeld);
    if (!delay) {
      if (attempt > 1 || kind != FailureKind::kPermanent) {
        err.message += " after " + std::to_string(attempt) + " attempt" + (attempt > 1 ? "s" : "");
        if (attempt < maxAttempts && kind != FailureKind::kPermanent) err.message += " (retry quota exhausted)";
      }
      return std::unexpected(err);
    }
    ++stats_.retries;
    sleeper_.sleepFor(*delay);
  }
  return unavailable("gave up after " + std::to_string(maxAttempts) + " attempts", where);  // not reached
}

bool AwsClient::maybeCarriedOut(const Error& e) { return e.message.ends_with(kMaybeCarriedOut); }

Result<XmlDoc> AwsClient::query(std::string_view service, std::string_view action, const QueryParams& params,
                                Retry retry) {
  std::string version = apiVersion(service);
  if (version.empty()) return invalid("no Query API version known for service '" + std::string(service) + "'", "service");
  QueryParams all{{"Action", std::string(action)}, {"Version", version}};
  all.insert(all.end(), params.begin(), params.end());
  bool unfiltered = service == "ec2" && action.starts_with("Describe");
  for (const auto& [k, v] : params) {
    if (k.starts_with("Filter.") || k.find("Id.") != std::string::npos || k == "MaxResults") unfiltered = false;
  }
  auto resp = call(service, action, "POST", "/", "",
                   {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}}, formEncode(all), unfiltered,
                   {}, retry);
  if (!resp) return std::unexpected(resp.error());
  return XmlDoc::parse(resp->body, "aws:" + std::string(service) + ":" + std::string(action));
}

Result<XmlDoc> AwsClient::restXml(std::string_view service, std::string_view method, std::string_view path,
                                  const QueryParams& query, std::string body, std::string_view action) {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!body.empty()) headers.emplace_back("Content-Type", "application/xml");
  auto resp = call(service, action, method, std::string(path), queryEncode(query), headers, std::move(body), false);
  if (!resp) return std::unexpected(resp.error());
  return XmlDoc::parse(resp->body, "aws:" + std::string(service) + ":" + std::string(action));
}

Result<nlohmann::json> AwsClient::json(std::string_view service, std::string_view targetPrefix, std::string_view action,
                                       const nlohmann::json& body, std::string_view jsonVersion) {
  std::vector<std::pair<std::string, std::string>> headers{
      {"Content-Type", "application/x-amz-json-" + std::string(jsonVersion)},
      {"X-Amz-Target", std::string(targetPrefix) + "." + std::string(action)}};
  auto resp = call(service, action, "POST", "/", "", headers, body.dump(), false);
  if (!resp) return std::unexpected(resp.error());
  if (resp->body.empty()) return nlohmann::json::object();
  auto j = nlohmann::json::parse(resp->body, nullptr, false);
  if (j.is_discarded()) {
    return internal("answer is not JSON", "aws:" + std::string(service) + ":" + std::string(action));
  }
  return j;
}

bool AwsClient::overridden(std::string_view service) const {
  return !options_.endpointOverride.empty() || !AwsEndpoint::overrideFromEnvironment(service).empty();
}

Result<HttpResponse> AwsClient::rest(std::string_view service, std::string_view method, std::string_view path,
                                     const QueryParams& query, std::vector<std::pair<std::string, std::string>> headers,
                                     std::string body, std::string_view action, std::string_view hostPrefix) {
  return call(service, action, method, std::string(path), queryEncode(query), std::move(headers), std::move(body),
              false, hostPrefix);
}

}  // namespace ramp::providers::aws
