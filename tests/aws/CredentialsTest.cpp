// Credentials chain: environment, shared files with profiles, a fake IMDSv2
// on loopback; secrets never in descriptions or errors.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "LoopbackServer.h"
#include "providers/aws/AwsHttpClient.h"
#include "providers/aws/CredentialsChain.h"
#include "providers/aws/EnvCredentialsProvider.h"
#include "providers/aws/ImdsCredentialsProvider.h"
#include "providers/aws/ProfileCredentialsProvider.h"

using namespace ramp;
using namespace ramp::providers::aws;
using ramp::providers::aws::test::LoopbackServer;

namespace {

class Credentials : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto v : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                   "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_DISABLED"}) {
      ::unsetenv(v);
    }
    dir_ = std::filesystem::path(std::getenv("RAMP_HOME") ? std::getenv("RAMP_HOME") : "/tmp") / "aws";
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    ::setenv("AWS_SHARED_CREDENTIALS_FILE", (dir_ / "credentials").c_str(), 1);
    ::setenv("AWS_CONFIG_FILE", (dir_ / "config").c_str(), 1);
    // No metadata service: a closed loopback port answers at once.
    ::setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1", 1);
  }
  void write(const char* name, const std::string& text) { std::ofstream(dir_ / name) << text; }
  std::filesystem::path dir_;
  ManualClock clock_;
};

}  // namespace

TEST_F(Credentials, EnvironmentComesFirst) {
  write("credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n");
  ::setenv("AWS_ACCESS_KEY_ID", "AKIAENVKEY1234", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
  ::setenv("AWS_SESSION_TOKEN", "envtoken", 1);
  auto c = CredentialsChain::standard(AwsHttpClient::shared(), clock_)->credentials();
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->accessKeyId, "AKIAENVKEY1234");
  EXPECT_EQ(c->sessionToken, "envtoken");
  EXPECT_EQ(c->describe(), "****1234 from env");
  EXPECT_EQ(c->describe().find("envsecret"), std::string::npos);
}

TEST_F(Credentials, HalfSetEnvironmentIsAnErrorNamingTheVariable) {
  ::setenv("AWS_ACCESS_KEY_ID", "AKIA", 1);
  auto c = CredentialsChain::standard(AwsHttpClient::shared(), clock_)->credentials();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().where, "env:AWS_SECRET_ACCESS_KEY");
}

TEST_F(Credentials, ProfilesFromBothFiles) {
  write("credentials", "[default]\naws_access_key_id = DEFKEY\naws_secret_access_key = defsecret\n"
                       "[dev]\naws_access_key_id = DEVKEY\naws_secret_access_key = devsecret\naws_session_token = devtok\n");
  write("config", "[profile ops]\nregion = eu-west-1\naws_access_key_id = OPSKEY\naws_secret_access_key = opssecret\n"
                  "s3 =\n  max_concurrent_requests = 10\n");
  auto d = CredentialsChain::standard(AwsHttpClient::shared(), clock_)->credentials();
  ASSERT_TRUE(d) << d.error().describe();
  EXPECT_EQ(d->accessKeyId, "DEFKEY");
  ::setenv("AWS_PROFILE", "dev", 1);
  auto dev = CredentialsChain::standard(AwsHttpClient::shared(), clock_)->credentials();
  ASSERT_TRUE(dev);
  EXPECT_EQ(dev->sessionToken, "devtok");
  auto ops = ProfileCredentialsProvider(AwsHttpClient::shared(), clock_, "ops").credentials();
  ASSERT_TRUE(ops) << ops.error().describe();
  EXPECT_EQ(ops->accessKeyId, "OPSKEY");
  EXPECT_EQ(ProfileCredentialsProvider::profileRegion("ops"), "eu-west-1");
}

TEST_F(Credentials, BrokenFilesAndProfilesNameTheLine) {
  write("credentials", "[default]\naws_access_key_id = K\nthis is not a setting\n");
  auto c = CredentialsChain::standard(AwsHttpClient::shared(), clock_)->credentials();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().where, (dir_ / "credentials").string() + ":3");
  write("credentials", "[default]\naws_access_key_id = K\n");
  c = CredentialsChain::standard(AwsHttpClient::shared(), clock_)->credentials();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().where, (dir_ / "credentials").string() + ":2");
  ::setenv("AWS_PROFILE", "nosuch", 1);
  c = CredentialsChain::standard(AwsHttpClient::shared(), clock_)->credentials();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kInvalid);
  EXPECT_NE(c.error().message.find("nosuch"), std::string::npos);
}

TEST_F(Credentials, NothingConfiguredListsWhatWasTried) {
  auto c = CredentialsChain::standard(AwsHttpClient::shared(), clock_)->credentials();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(c.error().message.find("env"), std::string::npos);
  EXPECT_NE(c.error().message.find("imds"), std::string::npos);
}

TEST_F(Credentials, ImdsV2TokenThenRoleCredentialsCachedUntilExpiry) {
  std::atomic<int> tokenPuts{0}, credGets{0};
  LoopbackServer imds([&](const std::string& req) -> std::optional<std::string> {
    auto lower = LoopbackServer::lowerCopy(req);
    if (req.starts_with("PUT /latest/api/token")) {
      if (lower.find("x-aws-ec2-metadata-token-ttl-seconds: 21600") == std::string::npos) return LoopbackServer::answer(400, "");
      ++tokenPuts;
      return LoopbackServer::answer(200, "TOKEN123");
    }
    if (lower.find("x-aws-ec2-metadata-token: token123") == std::string::npos) return LoopbackServer::answer(401, "");
    if (req.starts_with("GET /latest/meta-data/iam/security-credentials/ ")) return LoopbackServer::answer(200, "ramp-role");
    if (req.starts_with("GET /latest/meta-data/iam/security-credentials/ramp-role ")) {
      ++credGets;
      return LoopbackServer::answer(200, R"({"Code":"Success","AccessKeyId":"ASIAIMDS5678","SecretAccessKey":"imdssecret","Token":"imdstoken","Expiration":"2023-11-14T23:13:20Z"})");
    }
    return LoopbackServer::answer(404, "");
  });
  ::setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url().c_str(), 1);
  // ManualClock starts at 2023-11-14T22:13:20Z: credentials valid for 1 h.
  auto chain = CredentialsChain::standard(AwsHttpClient::shared(), clock_);
  auto c = chain->credentials();
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->accessKeyId, "ASIAIMDS5678");
  EXPECT_EQ(c->sessionToken, "imdstoken");
  ASSERT_TRUE(c->expiration);
  EXPECT_EQ(c->describe(), "****5678 from imds role ramp-role");
  ASSERT_TRUE(chain->credentials());
  EXPECT_EQ(credGets, 1);  // cached
  clock_.advance(std::chrono::minutes(56));  // within 5 minutes of expiry: refreshed
  ASSERT_TRUE(chain->credentials());
  EXPECT_EQ(credGets, 2);
  EXPECT_EQ(tokenPuts, 2);
}
