#include "providers/aws/AssumeRoleCredentialsProvider.h"

#include "providers/aws/AwsEndpoint.h"
#include "providers/aws/AwsError.h"
#include "providers/aws/AwsTimestamp.h"
#include "providers/aws/SigV4Signer.h"
#include "providers/aws/XmlDoc.h"

namespace ramp::providers::aws {

AssumeRoleCredentialsProvider::AssumeRoleCredentialsProvider(AssumeRoleSpec spec,
                                                             std::shared_ptr<CredentialsProvider> source,
                                                             HttpTransport& http, Clock& clock)
    : spec_(std::move(spec)), source_(std::move(source)), http_(http), clock_(clock), cache_(clock) {}

Result<AwsCredentials> AssumeRoleCredentialsProvider::credentials() {
  return cache_.get([this] { return assumeRole(); });
}

Result<AwsCredentials> AssumeRoleCredentialsProvider::assumeRole() {
  auto src = source_->credentials();
  if (!src) return std::unexpected(src.error());
  auto ep = AwsEndpoint::resolve("sts", spec_.region, spec_.endpointOverride);
  if (!ep) return std::unexpected(ep.error());
  std::string body = "Action=AssumeRole&Version=2011-06-15&RoleArn=" + SigV4Signer::uriEncode(spec_.roleArn) +
                     "&RoleSessionName=" + SigV4Signer::uriEncode(spec_.sessionName) +
                     "&DurationSeconds=" + std::to_string(spec_.durationSeconds);
  if (!spec_.externalId.empty()) body += "&ExternalId=" + SigV4Signer::uriEncode(spec_.externalId);
  SigV4Request req{"POST", "/", "", {{"Host", ep->host},
                                     {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}}, body};
  SigV4Signer(ep->signingRegion, "sts").sign(req, *src, clock_.now());
  HttpRequest http{"POST", ep->url + "/", req.headers, body, Millis(10'000), Millis(3'000)};
  auto resp = http_.send(http);
  if (!resp) return std::unexpected(resp.error());
  if (resp->status == 0) {
    return unavailable("STS AssumeRole " + spec_.roleArn + ": " + resp->transportError, "aws:sts:AssumeRole");
  }
  if (resp->status != 200) {
    return std::unexpected(AwsError::parse(resp->status, resp->body, resp->headers).toError("sts", "AssumeRole"));
  }
  auto doc = XmlDoc::parse(resp->body, "aws:sts:AssumeRole");
  if (!doc) return std::unexpected(doc.error());
  auto c = doc->root().find("Credentials");
  AwsCredentials out;
  out.accessKeyId = c.get("AccessKeyId");
  out.secretAccessKey = c.get("SecretAccessKey");
  out.sessionToken = c.get("SessionToken");
  out.source = "assume-role " + spec_.roleArn + " (via " + src->source + ")";
  if (out.accessKeyId.empty() || out.secretAccessKey.empty()) {
    return internal("STS AssumeRole answer has no Credentials", "aws:sts:AssumeRole");
  }
  if (auto exp = AwsTimestamp::parse(c.get("Expiration"))) out.expiration = *exp;
  return out;
}

}  // namespace ramp::providers::aws
