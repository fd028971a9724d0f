#include "providers/aws/ImdsCredentialsProvider.h"

#include <nlohmann/json.hpp>

#include <cstdlib>

#include "providers/aws/AwsTimestamp.h"

namespace ramp::providers::aws {

ImdsCredentialsProvider::ImdsCredentialsProvider(HttpTransport& http, Clock& clock, std::string endpoint)
    : http_(http), endpoint_(std::move(endpoint)), cache_(clock) {
  if (endpoint_.empty()) {
    const char* e = std::getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    endpoint_ = e && *e ? e : "http://169.254.169.254";
  }
  while (!endpoint_.empty() && endpoint_.back() == '/') endpoint_.pop_back();
}

Result<AwsCredentials> ImdsCredentialsProvider::credentials() {
  if (const char* d = std::getenv("AWS_EC2_METADATA_DISABLED"); d && std::string(d) == "true") {
    return notFound("instance metadata disabled (AWS_EC2_METADATA_DISABLED)", "imds");
  }
  return cache_.get([this] { return fetch(); });
}

Result<AwsCredentials> ImdsCredentialsProvider::fetch() {
  const Millis kConnect(1000), kTotal(2000);
  HttpRequest put{"PUT", endpoint_ + "/latest/api/token", {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}}, "",
                  kTotal, kConnect};
  auto tok = http_.send(put);
  if (!tok) return std::unexpected(tok.error());
  if (tok->status == 0) return notFound("no instance metadata service at " + endpoint_ + ": " + tok->transportError, "imds");
  if (tok->status != 200 || tok->body.empty()) {
    return unavailable("IMDSv2 token request answered HTTP " + std::to_string(tok->status), "imds:" + endpoint_);
  }
  std::vector<std::pair<std::string, std::string>> auth{{"X-aws-ec2-metadata-token", tok->body}};
  HttpRequest listRole{"GET", endpoint_ + "/latest/meta-data/iam/security-credentials/", auth, "", kTotal, kConnect};
  auto roles = http_.send(listRole);
  if (!roles) return std::unexpected(roles.error());
  if (roles->status == 404) return notFound("no IAM role attached to this instance", "imds");
  if (roles->status != 200) {
    return unavailable("IMDS role list answered HTTP " + std::to_string(roles->status) +
                           (roles->status == 0 ? " (" + roles->transportError + ")" : ""),
                       "imds:" + endpoint_);
  }
  std::string role = roles->body.substr(0, roles->body.find('\n'));
  if (role.empty()) return notFound("no IAM role attached to this instance", "imds");
  HttpRequest get{"GET", endpoint_ + "/latest/meta-data/iam/security-credentials/" + role, auth, "", kTotal, kConnect};
  auto cr = http_.send(get);
  if (!cr) return std::unexpected(cr.error());
  if (cr->status != 200) {
    return unavailable("IMDS credentials for role " + role + " answered HTTP " + std::to_string(cr->status),
                       "imds:" + endpoint_);
  }
  auto j = nlohmann::json::parse(cr->body, nullptr, false);
  if (!j.is_object() || !j.contains("AccessKeyId") || !j.contains("SecretAccessKey") ||
      !j["AccessKeyId"].is_string() || !j["SecretAccessKey"].is_string()) {
    return unavailable("IMDS credentials for role " + role + " are not the expected JSON", "imds:" + endpoint_);
  }
  AwsCredentials c;
  c.accessKeyId = j["AccessKeyId"].get<std::string>();
  c.secretAccessKey = j["SecretAccessKey"].get<std::string>();
  if (j.contains("Token") && j["Token"].is_string()) c.sessionToken = j["Token"].get<std::string>();
  if (j.contains("Expiration") && j["Expiration"].is_string()) {
    if (auto exp = AwsTimestamp::parse(j["Expiration"].get<std::string>())) c.expiration = *exp;
  }
  c.source = "imds role " + role;
  return c;
}

}  // namespace ramp::providers::aws
