// ReleaseStoreTest.cpp — create / same / conflict / verify / tamper /
// read-only bits / list / build, over a scratch home.
#include "release/ReleaseStore.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include "TempDir.h"
#include "core/Home.h"
#include "release/ReadOnlyCopy.h"
#include "release/TreeDigest.h"
#include "store/Store.h"

namespace fs = std::filesystem;
using ramp::ErrorCode;
using ramp::ManualClock;
using ramp::release::Release;
using ramp::release::ReleaseStore;
using ramp::release::testing::TempDir;
using ramp::release::testing::makeApp;
using ramp::release::testing::modeOf;
using ramp::release::testing::writeFile;

namespace {

// The world's store (where releases are recorded) in the scratch home.
std::unique_ptr<ramp::store::Store> openRecords(const fs::path& home) {
  auto s = ramp::store::openStore((home / "ramp.db").string());
  EXPECT_TRUE(s) << s.error().describe();
  return s ? std::move(*s) : nullptr;
}

struct Fixture : ::testing::Test {
  TempDir home, src;
  ManualClock clock;
  std::unique_ptr<ramp::store::Store> records = openRecords(home.path());
  ReleaseStore store{home.path(), *records, clock};
};

}  // namespace

using ReleaseStoreTest = Fixture;

TEST_F(ReleaseStoreTest, CreateStoresReadOnlyCopyAndMetadata) {
  makeApp(src.path());
  auto c = store.create("crawler", "1.4.0", src.path());
  ASSERT_TRUE(c.has_value()) << c.error().describe();
  EXPECT_TRUE(c->created);
  const Release& r = c->release;
  EXPECT_EQ(r.dir, home.path() / "releases/crawler/1.4.0");
  EXPECT_EQ(r.files, 2u);
  EXPECT_EQ(r.bytes, 19u + 6u);
  EXPECT_EQ(r.createdAtMs, ramp::toUnixMillis(clock.now()));
  EXPECT_FALSE(r.createdBy.empty());
  EXPECT_EQ(r.source, "dir:" + src.path().string());
  // The digest is the digest of the stored tree.
  auto d = ramp::release::treeDigest(r.tree());
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(*d, r.digest);
  // Read-only bits: executables keep their exec bit, nothing is writable.
  EXPECT_EQ(modeOf(r.tree() / "bin/app"), 0555u);
  EXPECT_EQ(modeOf(r.tree() / "share/data.txt"), 0444u);
  EXPECT_EQ(modeOf(r.tree() / "bin"), 0555u);
  EXPECT_EQ(modeOf(r.tree()), 0555u);
  EXPECT_EQ(modeOf(r.dir / "release.json"), 0444u);
  EXPECT_EQ(fs::read_symlink(r.tree() / "run"), "bin/app");
  // Nothing left in staging.
  EXPECT_TRUE(fs::is_empty(home.path() / "releases/.staging"));
  // get() reads back the same.
  auto g = store.get("crawler", "1.4.0");
  ASSERT_TRUE(g.has_value()) << g.error().describe();
  EXPECT_EQ(g->digest, r.digest);
  EXPECT_EQ(g->files, r.files);
  EXPECT_EQ(g->createdBy, r.createdBy);
  EXPECT_EQ(g->tree(), r.tree());
}

TEST_F(ReleaseStoreTest, DigestDoesNotDependOnSourceModesBeyondExecBit) {
  makeApp(src.path());
  TempDir other;
  makeApp(other.path());
  fs::permissions(other.path() / "share/data.txt", fs::perms(0600));  // another umask
  fs::permissions(other.path() / "bin/app", fs::perms(0700));
  auto a = store.create("crawler", "1.0.0", src.path());
  auto b = store.create("crawler", "1.0.1", other.path());
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->release.digest, b->release.digest);
}

TEST_F(ReleaseStoreTest, SameVersionSameContentIsNoChange) {
  makeApp(src.path());
  auto a = store.create("crawler", "1.4.0", src.path());
  ASSERT_TRUE(a.has_value());
  clock.advance(std::chrono::hours(1));
  auto b = store.create("crawler", "1.4.0", src.path());
  ASSERT_TRUE(b.has_value()) << b.error().describe();
  EXPECT_FALSE(b->created);
  EXPECT_EQ(b->release.digest, a->release.digest);
  EXPECT_EQ(b->release.createdAtMs, a->release.createdAtMs);  // the original, untouched
}

TEST_F(ReleaseStoreTest, SameVersionDifferentContentIsRefusedNamingBothDigests) {
  makeApp(src.path());
  auto a = store.create("crawler", "1.4.0", src.path());
  ASSERT_TRUE(a.has_value());
  writeFile(src.path() / "share/data.txt", "changed\n");
  auto newDigest = store.create("crawler", "1.4.1", src.path());
  ASSERT_TRUE(newDigest.has_value());
  auto b = store.create("crawler", "1.4.0", src.path());
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(b.error().code, ErrorCode::kConflict);
  std::string msg = b.error().describe();
  EXPECT_NE(msg.find(a->release.digest), std::string::npos) << msg;
  EXPECT_NE(msg.find(newDigest->release.digest), std::string::npos) << msg;
  // The stored release is untouched.
  auto g = store.get("crawler", "1.4.0");
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->digest, a->release.digest);
  EXPECT_TRUE(store.verify(*g).has_value());
}

TEST_F(ReleaseStoreTest, VerifyPassesOnUntouchedRelease) {
  makeApp(src.path());
  auto a = store.create("crawler", "1.4.0", src.path());
  ASSERT_TRUE(a.has_value());
  auto v = store.verify(a->release);
  EXPECT_TRUE(v.has_value()) << v.error().describe();
}

TEST_F(ReleaseStoreTest, TamperedContentIsRefused) {
  makeApp(src.path());
  auto a = store.create("crawler", "1.4.0", src.path());
  ASSERT_TRUE(a.has_value());
  fs::path f = a->release.tree() / "share/data.txt";
  fs::permissions(f, fs::perms(0644));
  writeFile(f, "evil\n");
  fs::permissions(f, fs::perms(0444));
  auto v = store.verify(a->release);
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().code, ErrorCode::kFailedPrecondition);
  std::string msg = v.error().message;
  EXPECT_EQ(msg.rfind("release crawler 1.4.0 changed on disk: expected " + a->release.digest +
                          ", found sha256:",
                      0),
            0u)
      << msg;
}

TEST_F(ReleaseStoreTest, TamperedModeAndAddedFileAreRefused) {
  makeApp(src.path());
  auto a = store.create("crawler", "1.4.0", src.path());
  ASSERT_TRUE(a.has_value());
  fs::path f = a->release.tree() / "share/data.txt";
  fs::permissions(f, fs::perms(0644));
  EXPECT_FALSE(store.verify(a->release).has_value());
  fs::permissions(f, fs::perms(0444));
  EXPECT_TRUE(store.verify(a->release).has_value());
  fs::permissions(a->release.tree() / "share", fs::perms(0755));
  writeFile(a->release.tree() / "share/extra", "");
  fs::permissions(a->release.tree() / "share/extra", fs::perms(0444));
  fs::permissions(a->release.tree() / "share", fs::perms(0555));
  EXPECT_FALSE(store.verify(a->release).has_value());
}

TEST_F(ReleaseStoreTest, MissingTreeIsRefused) {
  makeApp(src.path());
  auto a = store.create("crawler", "1.4.0", src.path());
  ASSERT_TRUE(a.has_value());
  ramp::release::removeReadOnlyTree(a->release.tree());
  auto v = store.verify(a->release);
  ASSERT_FALSE(v.has_value());
  EXPECT_NE(v.error().message.find("changed on disk"), std::string::npos);
}

TEST_F(ReleaseStoreTest, BadNamesAreRefusedNamingTheField) {
  makeApp(src.path());
  for (std::string v : std::vector<std::string>{"", "-1", ".hidden", "1/2", "../x", "a b", std::string(65, '1')}) {
    auto c = store.create("crawler", v, src.path());
    ASSERT_FALSE(c.has_value()) << v;
    EXPECT_EQ(c.error().code, ErrorCode::kInvalid);
    EXPECT_EQ(c.error().where, "version") << v;
  }
  for (std::string s : std::vector<std::string>{"", "Crawler", "../etc", "a/b", "_x"}) {
    auto c = store.create(s, "1.0.0", src.path());
    ASSERT_FALSE(c.has_value()) << s;
    EXPECT_EQ(c.error().where, "service") << s;
  }
  EXPECT_TRUE(store.create("crawler", "1.4.0-rc.1+build_7", src.path()).has_value());
  EXPECT_TRUE(store.create("crawler", std::string(64, '9'), src.path()).has_value());
  EXPECT_FALSE(fs::exists(home.path() / "releases/crawler/-1"));
}

TEST_F(ReleaseStoreTest, MissingSourceIsNotFoundAndChangesNothing) {
  auto c = store.create("crawler", "1.0.0", src.path() / "nope");
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code, ErrorCode::kNotFound);
  EXPECT_NE(c.error().describe().find("nope"), std::string::npos);
  EXPECT_FALSE(fs::exists(home.path() / "releases/crawler"));
}

TEST_F(ReleaseStoreTest, SpecialFileInSourceIsRefusedAndNothingIsLeft) {
  makeApp(src.path());
  ASSERT_EQ(::mkfifo((src.path() / "share/fifo").c_str(), 0644), 0);
  auto c = store.create("crawler", "1.0.0", src.path());
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().describe().find("share/fifo"), std::string::npos) << c.error().describe();
  EXPECT_FALSE(fs::exists(home.path() / "releases/crawler/1.0.0"));
  EXPECT_TRUE(fs::is_empty(home.path() / "releases/.staging"));
}

TEST_F(ReleaseStoreTest, EscapingSymlinkIsRefused) {
  makeApp(src.path());
  fs::create_symlink("../../etc/passwd", src.path() / "share/pw");
  auto c = store.create("crawler", "1.0.0", src.path());
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().describe().find("share/pw"), std::string::npos) << c.error().describe();
  fs::remove(src.path() / "share/pw");
  fs::create_symlink("/etc/passwd", src.path() / "share/pw");
  EXPECT_FALSE(store.create("crawler", "1.0.0", src.path()).has_value());
  fs::remove(src.path() / "share/pw");
  fs::create_symlink("../bin/app", src.path() / "share/app");  // inside: fine
  EXPECT_TRUE(store.create("crawler", "1.0.0", src.path()).has_value());
}

TEST_F(ReleaseStoreTest, StaleStagingFromACrashIsRemoved) {
  makeApp(src.path());
  // A dead process's staging dir (pid 0x7fffffff does not exist).
  fs::path stale = home.path() / "releases/.staging/2147483646-deadbeef";
  writeFile(stale / "tree/x", "half");
  ASSERT_TRUE(store.create("crawler", "1.0.0", src.path()).has_value());
  EXPECT_FALSE(fs::exists(stale));
  auto l = store.list(std::nullopt);
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->size(), 1u);
}

TEST_F(ReleaseStoreTest, ListOrdersByServiceThenCreation) {
  makeApp(src.path());
  ASSERT_TRUE(store.create("crawler", "2.0.0", src.path()));
  clock.advance(std::chrono::seconds(1));
  ASSERT_TRUE(store.create("crawler", "10.0.0", src.path()));
  clock.advance(std::chrono::seconds(1));
  ASSERT_TRUE(store.create("api", "1.0.0", src.path()));
  auto all = store.list(std::nullopt);
  ASSERT_TRUE(all.has_value()) << all.error().describe();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].service, "api");
  EXPECT_EQ((*all)[1].version, "2.0.0");
  EXPECT_EQ((*all)[2].version, "10.0.0");
  auto crawler = store.list(std::string("crawler"));
  ASSERT_TRUE(crawler.has_value());
  EXPECT_EQ(crawler->size(), 2u);
  auto none = store.list(std::string("nothing"));
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
  auto j = (*all)[0].toApiJson();
  EXPECT_EQ(j["service"], "api");
  EXPECT_EQ(j["path"], ((*all)[0].dir / "tree").string());
}

TEST_F(ReleaseStoreTest, GetUnknownIsNotFound) {
  auto g = store.get("crawler", "9.9.9");
  ASSERT_FALSE(g.has_value());
  EXPECT_EQ(g.error().code, ErrorCode::kNotFound);
}

TEST_F(ReleaseStoreTest, CorruptMetadataNamesTheFile) {
  makeApp(src.path());
  auto a = store.create("crawler", "1.0.0", src.path());
  ASSERT_TRUE(a.has_value());
  fs::path meta = a->release.dir / "release.json";
  fs::permissions(a->release.dir, fs::perms(0755));
  fs::permissions(meta, fs::perms(0644));
  writeFile(meta, "{\"format\":1,\"service\":\"crawler\"}");
  auto g = store.get("crawler", "1.0.0");
  ASSERT_FALSE(g.has_value());
  EXPECT_NE(g.error().describe().find("release.json"), std::string::npos);
  EXPECT_NE(g.error().describe().find("version"), std::string::npos) << g.error().describe();
}

TEST_F(ReleaseStoreTest, CreateFromBuildRunsCommandWithVersion) {
  writeFile(src.path() / "build.sh",
            "#!/bin/sh\nset -e\nmkdir -p out\necho \"$RAMP_RELEASE_VERSION\" > out/VERSION\n");
  fs::permissions(src.path() / "build.sh", fs::perms(0755));
  ramp::SystemClock& sys = ramp::SystemClock::instance();
  ReleaseStore s(home.path(), *records, sys);
  auto c = s.createFromBuild("crawler", "3.1.4", src.path(), "./build.sh", "out");
  ASSERT_TRUE(c.has_value()) << c.error().describe();
  auto text = ramp::readFile(c->release.tree() / "VERSION");
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(*text, "3.1.4\n");
  EXPECT_EQ(c->release.source.rfind("build:./build.sh -> ", 0), 0u) << c->release.source;
}

TEST_F(ReleaseStoreTest, FailingBuildReportsExitCodeAndChangesNothing) {
  ramp::SystemClock& sys = ramp::SystemClock::instance();
  ReleaseStore s(home.path(), *records, sys);
  auto c = s.createFromBuild("crawler", "1.0.0", src.path(), "mkdir -p out; exit 7", "out");
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().message.find("exit code 7"), std::string::npos) << c.error().describe();
  EXPECT_FALSE(fs::exists(home.path() / "releases/crawler"));
}

TEST_F(ReleaseStoreTest, BuildWithoutOutputDirIsNamed) {
  ramp::SystemClock& sys = ramp::SystemClock::instance();
  ReleaseStore s(home.path(), *records, sys);
  auto c = s.createFromBuild("crawler", "1.0.0", src.path(), "true", "dist");
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().describe().find("dist"), std::string::npos) << c.error().describe();
}

TEST_F(ReleaseStoreTest, BuildTimeoutStopsTheCommand) {
  ramp::SystemClock& sys = ramp::SystemClock::instance();
  ReleaseStore s(home.path(), *records, sys);
  ramp::release::BuildCommand::Options o;
  o.timeout = std::chrono::milliseconds(200);
  auto c = s.createFromBuild("crawler", "1.0.0", src.path(), "sleep 30", "out", o);
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().message.find("timed out"), std::string::npos) << c.error().describe();
}
