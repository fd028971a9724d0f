// MotoAuth.h — the suite's moto with its signature checking on, as every
// AWS test uses it (tests/aws/moto-fixture.sh starts moto with
// INITIAL_NO_AUTH_ACTION_COUNT=0: every request's SigV4 signature is checked
// against an IAM access key moto knows).
//
// motoResetWithKeys(url) resets moto, allows exactly 3 unsigned calls
// (POST /moto-api/reset-auth "3") and spends them creating an IAM user
// allowed every action and its access key; every later call must be signed
// with the key it returns (a wrong secret: 403 SignatureDoesNotMatch). The
// key is also kept as motoKeys() for helpers that sign afterwards. The
// shell scripts do the same with tests/aws/moto_keys.py.
#pragma once

#include <string>

#include "core/Result.h"
#include "providers/aws/AwsClient.h"
#include "providers/aws/AwsCredentials.h"
#include "providers/aws/AwsHttpClient.h"
#include "providers/aws/StaticCredentialsProvider.h"
#include "providers/aws/ThreadSleeper.h"

namespace ramp::providers::aws::test {

// The key of the last motoResetWithKeys ("testing" before it: for tests
// that sign without sending to moto).
inline AwsCredentials& motoKeys() {
  static AwsCredentials keys{"testing", "testing", "", {}, "test"};
  return keys;
}

inline Status motoPostPlain(const std::string& url, const std::string& path, const std::string& body) {
  HttpRequest r{"POST", url + path, {{"Content-Type", "text/plain"}}, body, Millis(10000), Millis(2000)};
  auto resp = AwsHttpClient::shared().send(r);
  if (!resp) return std::unexpected(resp.error());
  if (resp->status != 200) return internal("moto " + path + " answered " + std::to_string(resp->status), path);
  return ok();
}

inline Result<AwsCredentials> motoResetWithKeys(const std::string& url) {
  if (auto s = motoPostPlain(url, "/moto-api/reset", ""); !s) return std::unexpected(s.error());
  if (auto s = motoPostPlain(url, "/moto-api/reset-auth", "3"); !s) return std::unexpected(s.error());
  AwsClientOptions o;
  o.region = "us-east-1";
  o.endpointOverride = url;
  o.account = "moto-auth";
  RateBudget budget(SystemClock::instance(), ThreadSleeper::instance());
  auto unsigned_ = std::make_shared<StaticCredentialsProvider>(AwsCredentials{"free", "free", "", {}, "free"});
  AwsClient admin(o, unsigned_, AwsHttpClient::shared(), SystemClock::instance(), ThreadSleeper::instance(), budget);
  if (auto u = admin.query("iam", "CreateUser", {{"UserName", "ramp-test"}}); !u) return std::unexpected(u.error());
  if (auto p = admin.query(
          "iam", "PutUserPolicy",
          {{"UserName", "ramp-test"},
           {"PolicyName", "everything"},
           {"PolicyDocument", R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})"}});
      !p) {
    return std::unexpected(p.error());
  }
  auto key = admin.query("iam", "CreateAccessKey", {{"UserName", "ramp-test"}});
  if (!key) return std::unexpected(key.error());
  AwsCredentials c{key->root().find("AccessKeyId").text(), key->root().find("SecretAccessKey").text(), "", {}, "moto"};
  if (c.accessKeyId.empty() || c.secretAccessKey.empty()) return internal("CreateAccessKey gave no key", "moto");
  motoKeys() = c;
  return c;
}

}  // namespace ramp::providers::aws::test
