// ReleaseBundleTest.cpp — the deterministic release bundle, S3Api against
// moto, and the fleet user data script run with sh against a bundle served
// by moto: a matching bundle starts the release, a mismatching one is
// refused before anything is unpacked.
#include <gtest/gtest.h>

#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "MotoWorld.h"
#include "core/Sha256.h"
#include "providers/aws/LaunchUserData.h"
#include "providers/aws/S3Api.h"
#include "release/ReleaseBundle.h"

namespace ramp::providers::aws::test {
namespace {

namespace fs = std::filesystem;
using release::ReleaseBundle;

fs::path scratch(const std::string& name) {
  const char* home = std::getenv("RAMP_HOME");
  fs::path p = fs::path(home ? home : fs::temp_directory_path().string()) / name;
  std::error_code ec;
  fs::permissions(p, fs::perms::owner_all, fs::perm_options::add, ec);
  for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::recursive_directory_iterator(); ++it) {
    fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add | fs::perm_options::nofollow, ec);
  }
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

void writeFile(const fs::path& p, const std::string& text, fs::perms perms = fs::perms(0444)) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
  fs::permissions(p, perms);
}

// A small release tree: nested files, an executable, a symlink.
void makeTree(const fs::path& root) {
  writeFile(root / "run.sh", "#!/bin/sh\necho started > \"$RAMP_INSTANCE_ROOT/started\"\n", fs::perms(0555));
  writeFile(root / "conf/app.conf", "port=8080\n");
  writeFile(root / "conf/z.txt", std::string(1500, 'z'));
  writeFile(root / "a.txt", "a\n");
  fs::create_directory_symlink("conf", root / "link");
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int run(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST(ReleaseBundle, SameTreeSameBytesAnywhere) {
  auto a = scratch("bundle-a");
  auto b = scratch("bundle-b");
  makeTree(a);
  makeTree(b);
  // Different mtimes must not matter.
  fs::last_write_time(b / "a.txt", fs::file_time_type::clock::now() - std::chrono::hours(48));
  release::BundleInfo ia, ib;
  auto ba = ReleaseBundle::bytes(a, &ia);
  auto bb = ReleaseBundle::bytes(b, &ib);
  ASSERT_TRUE(ba) << ba.error().describe();
  ASSERT_TRUE(bb) << bb.error().describe();
  EXPECT_EQ(*ba, *bb);
  EXPECT_EQ(ia.sha256, sha256Hex(*ba));
  EXPECT_EQ(ia.bytes, ba->size());
  EXPECT_EQ(ba->size() % 512, 0u);
  EXPECT_EQ(ia.entries, 6u);  // a.txt conf/ conf/app.conf conf/z.txt link run.sh
  auto digestOnly = ReleaseBundle::digest(a);
  ASSERT_TRUE(digestOnly);
  EXPECT_EQ(digestOnly->sha256, ia.sha256);
  EXPECT_EQ(ReleaseBundle::key("web", ia.sha256), "bundles/web/" + ia.sha256 + ".tar");

  // Content and mode changes change the bundle.
  fs::permissions(b / "a.txt", fs::perms(0644));
  writeFile(b / "a.txt", "b\n", fs::perms(0444));
  auto changed = ReleaseBundle::digest(b);
  ASSERT_TRUE(changed);
  EXPECT_NE(changed->sha256, ia.sha256);
  fs::permissions(b / "a.txt", fs::perms(0644));
  writeFile(b / "a.txt", "a\n", fs::perms(0444));
  EXPECT_EQ(ReleaseBundle::digest(b)->sha256, ia.sha256);
  fs::permissions(b / "a.txt", fs::perms(0555));
  EXPECT_NE(ReleaseBundle::digest(b)->sha256, ia.sha256);
}

TEST(ReleaseBundle, SystemTarUnpacksTheSameTree) {
  auto a = scratch("bundle-tar");
  makeTree(a);
  auto bytes = ReleaseBundle::bytes(a);
  ASSERT_TRUE(bytes);
  auto out = scratch("bundle-tar-out");
  writeFile(out / "b.tar", *bytes, fs::perms(0644));
  ASSERT_EQ(run("tar -xf '" + (out / "b.tar").string() + "' -C '" + (out).string() + "' 2>&1"), 0);
  EXPECT_EQ(readFile(out / "conf/z.txt"), std::string(1500, 'z'));
  EXPECT_EQ(readFile(out / "run.sh"), readFile(a / "run.sh"));
  EXPECT_TRUE(fs::is_symlink(out / "link"));
  EXPECT_EQ(fs::read_symlink(out / "link"), fs::path("conf"));
  EXPECT_EQ(fs::status(out / "run.sh").permissions() & fs::perms::owner_exec, fs::perms::owner_exec);
  // The listing is in byte order with fixed owner and time.
  ASSERT_EQ(run("tar --numeric-owner -tvf '" + (out / "b.tar").string() + "' > '" + (out / "list").string() + "'"), 0);
  auto list = readFile(out / "list");
  EXPECT_NE(list.find("0/0"), std::string::npos) << list;
  EXPECT_NE(list.find("1970-01-01"), std::string::npos) << list;
  EXPECT_LT(list.find("a.txt"), list.find("conf/app.conf")) << list;
}

TEST(ReleaseBundle, RefusesWhatItCannotArchiveNamingThePath) {
  auto a = scratch("bundle-bad");
  makeTree(a);
  ASSERT_EQ(::mkfifo((a / "pipe").c_str(), 0644), 0);
  auto r = ReleaseBundle::digest(a);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().where.find("pipe"), std::string::npos) << r.error().describe();
  fs::remove(a / "pipe");
  std::string longName(120, 'x');
  writeFile(a / longName, "x");
  r = ReleaseBundle::digest(a);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().where.find(longName), std::string::npos) << r.error().describe();
  EXPECT_NE(r.error().message.find("too long"), std::string::npos);
  auto missing = ReleaseBundle::digest(a / "nope");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().where.find("nope"), std::string::npos);
}

TEST(ReleaseBundle, LongPathsUseTheUstarPrefix) {
  auto a = scratch("bundle-long");
  std::string dir(90, 'd');
  writeFile(a / dir / std::string(60, 'f'), "deep\n");
  auto bytes = ReleaseBundle::bytes(a);
  ASSERT_TRUE(bytes) << bytes.error().describe();
  auto out = scratch("bundle-long-out");
  writeFile(out / "b.tar", *bytes, fs::perms(0644));
  ASSERT_EQ(run("tar -xf '" + (out / "b.tar").string() + "' -C '" + out.string() + "'"), 0);
  EXPECT_EQ(readFile(out / dir / std::string(60, 'f')), "deep\n");
}

// Records requests instead of sending them; answers 200.
class RecordingTransport : public HttpTransport {
 public:
  std::vector<HttpRequest> sent;
  Result<HttpResponse> send(const HttpRequest& r) override {
    sent.push_back(r);
    HttpResponse resp;
    resp.status = 200;
    resp.headers["etag"] = "\"e\"";
    return resp;
  }
};

std::string headerOf(const HttpRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  }
  return {};
}

TEST(S3Addressing, VirtualHostOnAwsPathStyleOnOverridesAndSignedContentHash) {
  ::unsetenv("AWS_ENDPOINT_URL");
  ::unsetenv("AWS_ENDPOINT_URL_S3");
  RecordingTransport http;
  RateBudget budget{SystemClock::instance(), ThreadSleeper::instance()};
  AwsClientOptions o;
  o.region = "eu-west-1";
  AwsClient aws(o, testCredentials(), http, SystemClock::instance(), ThreadSleeper::instance(), budget);
  S3Api s3(aws);
  ASSERT_TRUE(s3.putObject("ramp-bundles", "bundles/web/abc.tar", "payload"));
  ASSERT_EQ(http.sent.size(), 1u);
  EXPECT_EQ(http.sent[0].method, "PUT");
  EXPECT_EQ(http.sent[0].url, "https://ramp-bundles.s3.eu-west-1.amazonaws.com/bundles/web/abc.tar");
  EXPECT_EQ(headerOf(http.sent[0], "Host"), "ramp-bundles.s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(headerOf(http.sent[0], "X-Amz-Content-Sha256"), sha256Hex("payload"));
  auto auth = headerOf(http.sent[0], "Authorization");
  EXPECT_NE(auth.find("x-amz-content-sha256"), std::string::npos) << auth;
  EXPECT_NE(auth.find("/eu-west-1/s3/aws4_request"), std::string::npos) << auth;

  o.endpointOverride = "http://127.0.0.1:9";
  AwsClient emu(o, testCredentials(), http, SystemClock::instance(), ThreadSleeper::instance(), budget);
  S3Api s3emu(emu);
  ASSERT_TRUE(s3emu.headObject("ramp-bundles", "bundles/web/abc.tar"));
  ASSERT_EQ(http.sent.size(), 2u);
  EXPECT_EQ(http.sent[1].method, "HEAD");
  EXPECT_EQ(http.sent[1].url, "http://127.0.0.1:9/ramp-bundles/bundles/web/abc.tar");
  EXPECT_EQ(headerOf(http.sent[1], "X-Amz-Content-Sha256"), sha256Hex(""));
}

class S3OnMoto : public MotoWorld {
 protected:
  AwsClient& client() { return clients->forRegion("us-east-1"); }
};

TEST_F(S3OnMoto, HeadPutHeadAndBadNames) {
  S3Api s3(client());
  ASSERT_TRUE(s3.createBucket("ramp-bundles")) << "bucket";
  EXPECT_TRUE(s3.createBucket("ramp-bundles")) << "creating it again is fine";
  auto missing = s3.headObject("ramp-bundles", "bundles/web/abc.tar");
  ASSERT_TRUE(missing) << missing.error().describe();
  EXPECT_FALSE(missing->exists);
  auto put = s3.putObject("ramp-bundles", "bundles/web/abc.tar", "hello bundle");
  ASSERT_TRUE(put) << put.error().describe();
  auto there = s3.headObject("ramp-bundles", "bundles/web/abc.tar");
  ASSERT_TRUE(there) << there.error().describe();
  EXPECT_TRUE(there->exists);
  EXPECT_EQ(there->size, 12u);
  auto got = s3.getObject("ramp-bundles", "bundles/web/abc.tar");
  ASSERT_TRUE(got) << got.error().describe();
  EXPECT_EQ(*got, "hello bundle");
  auto absent = s3.getObject("ramp-bundles", "bundles/web/none.tar");
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().code, ErrorCode::kNotFound) << absent.error().describe();

  auto noBucket = s3.headObject("no-such-bucket-here", "k");
  EXPECT_TRUE(!noBucket || !noBucket->exists);
  auto bad = s3.putObject("Bad_Bucket", "k", "x");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().where, "bucket");
  auto badKey = s3.headObject("ramp-bundles", "a b");
  ASSERT_FALSE(badKey);
  EXPECT_EQ(badKey.error().where, "key");
  EXPECT_FALSE(s3.headObject("ramp-bundles", "a/../b"));
}

// Runs the user data of a fleet whose release is `tree` with the bundle
// served by moto (a fake `aws s3 cp` fetches it over HTTP); returns sh's
// exit code, stderr in `err`.
int runUserData(const fs::path& tree, const fs::path& root, std::string& err) {
  FleetSpec spec;
  spec.fleetId = "web-prod-1-0-0-abc";
  spec.service = "web";
  spec.env = "prod";
  spec.releaseVersion = "1.0.0";
  spec.releaseDigest = "sha256:" + std::string(64, '0');
  spec.releasePath = tree.string();
  spec.run.command = "./run.sh";
  AwsEnvironment env;
  env.project = "shop";
  env.bundleBucket = "ramp-bundles";
  std::string script = LaunchUserData::script(spec, env);
  auto bin = root.parent_path() / (root.filename().string() + "-bin");
  fs::create_directories(bin);
  writeFile(bin / "aws",
            "#!/bin/sh\n[ \"$1 $2\" = 's3 cp' ] || exit 9\nsrc=${3#s3://}\nexec curl -sf --aws-sigv4 aws:amz:us-east-1:s3 --user " +
                motoKeys().accessKeyId + ":" + motoKeys().secretAccessKey +
                // S3 wants the payload's hash header with SigV4; curl 7.88 sends none.
                " -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -o \"$4\" " +
                LaunchUserData::shellQuote(motoUrl()) + "/\"$src\"\n",
            fs::perms(0755));
  writeFile(root.parent_path() / (root.filename().string() + ".sh"), script, fs::perms(0644));
  auto errFile = root.parent_path() / (root.filename().string() + ".err");
  int rc = run("env RAMP_INSTANCE_ROOT='" + root.string() + "' PATH='" + bin.string() + ":" +
               std::getenv("PATH") + "' sh '" + (root.parent_path() / (root.filename().string() + ".sh")).string() +
               "' 2>'" + errFile.string() + "' </dev/null");
  err = readFile(errFile);
  return rc;
}

TEST_F(S3OnMoto, UserDataStartsAMatchingBundleAndRefusesAMismatch) {
  auto tree = scratch("ud-tree");
  makeTree(tree);
  release::BundleInfo info;
  auto bytes = ReleaseBundle::bytes(tree, &info);
  ASSERT_TRUE(bytes);
  S3Api s3(client());
  ASSERT_TRUE(s3.createBucket("ramp-bundles"));
  std::string key = ReleaseBundle::key("web", info.sha256);
  ASSERT_TRUE(s3.putObject("ramp-bundles", key, *bytes));

  auto good = scratch("ud-good");
  std::string err;
  EXPECT_EQ(runUserData(tree, good, err), 0) << err;
  EXPECT_EQ(readFile(good / "started"), "started\n") << err;
  EXPECT_EQ(readFile(good / "opt/ramp/release/conf/app.conf"), "port=8080\n");
  EXPECT_NE(readFile(good / "etc/ramp/fleet.env").find("RAMP_SERVICE=web"), std::string::npos);

  // Same size, other bytes at the content-addressed key: refused before unpacking.
  std::string tampered = *bytes;
  tampered[600] ^= 1;
  ASSERT_TRUE(s3.putObject("ramp-bundles", key, tampered));
  auto bad = scratch("ud-bad");
  EXPECT_NE(runUserData(tree, bad, err), 0);
  EXPECT_NE(err.find("digest mismatch"), std::string::npos) << err;
  EXPECT_NE(err.find("refused to start"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(bad / "opt/ramp/release")) << "nothing unpacked";
  EXPECT_FALSE(fs::exists(bad / "started"));

  // A missing bundle stops the script too (set -e on the failed fetch).
  auto gone = scratch("ud-gone");
  fs::permissions(tree / "a.txt", fs::perms(0644));
  writeFile(tree / "a.txt", "changed\n");
  EXPECT_NE(runUserData(tree, gone, err), 0);
  EXPECT_FALSE(fs::exists(gone / "started"));

  // A tree that cannot be bundled gives a script that refuses to start.
  auto none = scratch("ud-none");
  EXPECT_NE(runUserData(tree / "missing", none, err), 0);
  EXPECT_NE(err.find("refused to start"), std::string::npos) << err;
}

}  // namespace
}  // namespace ramp::providers::aws::test
