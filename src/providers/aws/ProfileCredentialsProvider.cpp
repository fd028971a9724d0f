#include "providers/aws/ProfileCredentialsProvider.h"

#include <cstdlib>

#include "providers/aws/AssumeRoleCredentialsProvider.h"
#include "providers/aws/AwsEndpoint.h"
#include "providers/aws/AwsIniFile.h"
#include "providers/aws/EnvCredentialsProvider.h"
#include "providers/aws/ImdsCredentialsProvider.h"
#include "providers/aws/StaticCredentialsProvider.h"

namespace ramp::providers::aws {
namespace {

std::string homeFile(const char* envName, const char* leaf) {
  if (const char* v = std::getenv(envName); v && *v) return v;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "") + "/.aws/" + leaf;
}

struct Merged {
  std::map<std::string, std::string> values;
  std::map<std::string, std::string> where;
  bool found = false;
};

Result<Merged> merged(const std::string& profile) {
  Merged m;
  auto cfg = AwsIniFile::load(ProfileCredentialsProvider::configFilePath());
  if (!cfg) return std::unexpected(cfg.error());
  auto cred = AwsIniFile::load(ProfileCredentialsProvider::credentialsFilePath());
  if (!cred) return std::unexpected(cred.error());
  for (const std::string& sec : {profile == "default" ? std::string("default") : "profile " + profile}) {
    if (auto* s = cfg->section(sec)) {
      m.found = true;
      for (const auto& [k, e] : *s) {
        m.values[k] = e.value;
        m.where[k] = cfg->where(sec, k);
      }
    }
  }
  if (auto* s = cred->section(profile)) {
    m.found = true;
    for (const auto& [k, e] : *s) {
      m.values[k] = e.value;
      m.where[k] = cred->where(profile, k);
    }
  }
  return m;
}

}  // namespace

std::string ProfileCredentialsProvider::credentialsFilePath() {
  return homeFile("AWS_SHARED_CREDENTIALS_FILE", "credentials");
}
std::string ProfileCredentialsProvider::configFilePath() { return homeFile("AWS_CONFIG_FILE", "config"); }

std::string ProfileCredentialsProvider::profileRegion(const std::string& profile) {
  auto m = merged(profile);
  if (!m) return {};
  auto it = m->values.find("region");
  return it == m->values.end() ? std::string() : it->second;
}

ProfileCredentialsProvider::ProfileCredentialsProvider(HttpTransport& http, Clock& clock, std::string profile)
    : http_(http), clock_(clock), profile_(std::move(profile)), explicit_(!profile_.empty()) {
  if (profile_.empty()) {
    const char* p = std::getenv("AWS_PROFILE");
    explicit_ = p && *p;
    profile_ = explicit_ ? p : "default";
  }
}

Result<AwsCredentials> ProfileCredentialsProvider::credentials() {
  std::lock_guard lock(mu_);
  return resolve(profile_, 0);
}

Result<AwsCredentials> ProfileCredentialsProvider::resolve(const std::string& profile, int depth) {
  if (depth > 5) return invalid("source_profile chain deeper than 5 (a cycle?) at profile '" + profile + "'", "profile");
  auto m = merged(profile);
  if (!m) return std::unexpected(m.error());
  if (!m->found) {
    std::string msg = "profile '" + profile + "' is in neither " + credentialsFilePath() + " nor " + configFilePath();
    if (explicit_ || depth > 0) return invalid(msg, "profile " + profile);
    return notFound(msg, "profile " + profile);
  }
  auto& v = m->values;
  auto get = [&](const char* k) { auto it = v.find(k); return it == v.end() ? std::string() : it->second; };
  std::string roleArn = get("role_arn");
  if (!roleArn.empty()) {
    std::string source = get("source_profile"), credSource = get("credential_source");
    if (source.empty() == credSource.empty()) {
      return invalid("profile '" + profile + "' has role_arn but needs exactly one of source_profile or credential_source",
                     m->where["role_arn"]);
    }
    std::string key = roleArn + "|" + source + "|" + credSource;
    auto it = roles_.find(key);
    if (it == roles_.end()) {
      std::shared_ptr<CredentialsProvider> src;
      if (!source.empty()) {
        if (source == profile && get("aws_access_key_id").empty()) {
          return invalid("profile '" + profile + "' is its own source_profile but has no keys", m->where["source_profile"]);
        }
        if (source == profile) {
          src = std::make_shared<StaticCredentialsProvider>(AwsCredentials{
              get("aws_access_key_id"), get("aws_secret_access_key"), get("aws_session_token"), std::nullopt,
              "profile " + profile});
        } else {
          auto base = resolve(source, depth + 1);
          if (!base) return std::unexpected(base.error());
          src = std::make_shared<StaticCredentialsProvider>(*base);
        }
      } else if (credSource == "Environment") {
        src = std::make_shared<EnvCredentialsProvider>();
      } else if (credSource == "Ec2InstanceMetadata") {
        src = std::make_shared<ImdsCredentialsProvider>(http_, clock_);
      } else {
        return invalid("credential_source '" + credSource + "' is not supported (Environment, Ec2InstanceMetadata)",
                       m->where["credential_source"]);
      }
      AssumeRoleSpec spec;
      spec.roleArn = roleArn;
      if (auto n = get("role_session_name"); !n.empty()) spec.sessionName = n;
      spec.externalId = get("external_id");
      if (auto d = get("duration_seconds"); !d.empty()) {
        char* end = nullptr;
        long n = std::strtol(d.c_str(), &end, 10);
        if (!end || *end || n < 900 || n > 43200) {
          return invalid("duration_seconds must be 900..43200, got '" + d + "'", m->where["duration_seconds"]);
        }
        spec.durationSeconds = static_cast<int>(n);
      }
      if (auto r = get("region"); !r.empty()) spec.region = r;
      spec.endpointOverride = AwsEndpoint::overrideFromEnvironment("sts");
      it = roles_.emplace(key, std::make_shared<AssumeRoleCredentialsProvider>(spec, src, http_, clock_)).first;
    }
    return it->second->credentials();
  }
  std::string id = get("aws_access_key_id"), secret = get("aws_secret_access_key");
  if (id.empty() && secret.empty()) {
    std::string msg = "profile '" + profile + "' has neither aws_access_key_id nor role_arn";
    if (explicit_ || depth > 0) return invalid(msg, "profile " + profile);
    return notFound(msg, "profile " + profile);
  }
  if (id.empty()) return invalid("aws_secret_access_key without aws_access_key_id", m->where["aws_secret_access_key"]);
  if (secret.empty()) return invalid("aws_access_key_id without aws_secret_access_key", m->where["aws_access_key_id"]);
  return AwsCredentials{id, secret, get("aws_session_token"), std::nullopt, "profile " + profile};
}

}  // namespace ramp::providers::aws
