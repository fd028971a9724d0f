// SharedReleaseTest.cpp — releases live in the world's store: a second home
// sharing the store lists them and rebuilds their files from the stored
// bundle, checked against the recorded digest; and the bundle reader refuses
// archives that would write outside the tree.
#include <gtest/gtest.h>

#include <sqlite3.h>
#include <sys/stat.h>

#include "TempDir.h"
#include "core/Home.h"
#include "core/Sha256.h"
#include "release/BundleReader.h"
#include "release/ReadOnlyCopy.h"
#include "release/ReleaseBundle.h"
#include "release/ReleaseStore.h"
#include "release/TreeDigest.h"
#include "store/Store.h"

namespace fs = std::filesystem;
using ramp::ErrorCode;
using ramp::ManualClock;
using ramp::release::BundleReader;
using ramp::release::ReleaseBundle;
using ramp::release::ReleaseStore;
using ramp::release::testing::TempDir;
using ramp::release::testing::makeApp;
using ramp::release::testing::modeOf;
using ramp::release::testing::writeFile;

namespace {

// Two homes (two hosts) sharing one store.
struct SharedReleases : ::testing::Test {
  TempDir world, homeA, homeB, src;
  ManualClock clock;
  std::unique_ptr<ramp::store::Store> records = [this] {
    auto s = ramp::store::openStore((world.path() / "world.db").string());
    EXPECT_TRUE(s) << s.error().describe();
    return s ? std::move(*s) : nullptr;
  }();
  ReleaseStore a{homeA.path(), *records, clock};
  ReleaseStore b{homeB.path(), *records, clock};
};

TEST_F(SharedReleases, ASecondHomeListsAndRebuildsAReleaseFromTheStore) {
  makeApp(src.path());
  auto made = a.create("crawler", "1.4.0", src.path());
  ASSERT_TRUE(made) << made.error().describe();

  auto listed = b.list(std::nullopt);
  ASSERT_TRUE(listed) << listed.error().describe();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].digest, made->release.digest);
  EXPECT_EQ((*listed)[0].files, 2u);
  EXPECT_FALSE(fs::exists(homeB.path() / "releases/crawler/1.4.0")) << "listing rebuilds nothing";

  auto got = b.get("crawler", "1.4.0");
  ASSERT_TRUE(got) << got.error().describe();
  EXPECT_EQ(got->dir, homeB.path() / "releases/crawler/1.4.0");
  EXPECT_EQ(*ramp::release::treeDigest(got->tree()), made->release.digest);
  EXPECT_TRUE(b.verify(*got));
  EXPECT_EQ(modeOf(got->tree() / "bin/app"), 0555u);
  EXPECT_EQ(modeOf(got->tree() / "share/data.txt"), 0444u);
  EXPECT_EQ(modeOf(got->tree()), 0555u);
  EXPECT_EQ(fs::read_symlink(got->tree() / "run"), "bin/app");
  EXPECT_EQ(got->createdBy, made->release.createdBy);

  // The same content again from B: nothing new; other content: refused.
  auto again = b.create("crawler", "1.4.0", src.path());
  ASSERT_TRUE(again) << again.error().describe();
  EXPECT_FALSE(again->created);
  writeFile(src.path() / "share/data.txt", "other\n");
  auto clash = b.create("crawler", "1.4.0", src.path());
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code, ErrorCode::kConflict);
  EXPECT_NE(clash.error().message.find(made->release.digest), std::string::npos) << clash.error().message;
}

TEST_F(SharedReleases, ATamperedStoreIsNeverUsed) {
  makeApp(src.path());
  auto made = a.create("crawler", "2.0.0", src.path());
  ASSERT_TRUE(made);
  // Someone replaces the stored bundle with another (self-consistent) one.
  TempDir other;
  makeApp(other.path());
  writeFile(other.path() / "share/data.txt", "evil\n");
  auto bytes = ReleaseBundle::bytes(other.path());
  ASSERT_TRUE(bytes);
  auto db = world.path() / "world.db";
  records.reset();
  {
    auto s = ramp::store::openStore(db.string());
    ASSERT_TRUE(s);
    // Not through the API (contents are immutable): the tables, by hand.
    std::string sha = ramp::sha256Hex(*bytes);
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
    sqlite3_busy_timeout(raw, 5000);
    int rc = sqlite3_exec(raw, "DELETE FROM release_chunks; DELETE FROM release_contents;", nullptr, nullptr, nullptr);
    sqlite3_close(raw);
    ASSERT_EQ(rc, SQLITE_OK);
    ASSERT_TRUE((*s)->putReleaseContent("crawler", "2.0.0", sha, *bytes));
    ReleaseStore b2{homeB.path(), **s, clock};
    auto got = b2.get("crawler", "2.0.0");
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, ErrorCode::kFailedPrecondition);
    EXPECT_NE(got.error().message.find(made->release.digest), std::string::npos) << got.error().message;
    EXPECT_FALSE(fs::exists(homeB.path() / "releases/crawler/2.0.0")) << "nothing installed";
  }
}

TEST_F(SharedReleases, AReleaseOnlyAHomeHoldsIsRecordedWhenMet) {
  // A release made before releases lived in the store: files only.
  makeApp(src.path());
  TempDir scratch;
  auto scratchRecords = ramp::store::openStore((scratch.path() / "old.db").string());
  ASSERT_TRUE(scratchRecords);
  ReleaseStore old{homeA.path(), **scratchRecords, clock};
  ASSERT_TRUE(old.create("legacy", "0.9.0", src.path()));
  ASSERT_TRUE(b.list(std::nullopt)->empty());

  auto listed = a.list(std::nullopt);  // meets it, records it
  ASSERT_TRUE(listed) << listed.error().describe();
  ASSERT_EQ(listed->size(), 1u);
  auto got = b.get("legacy", "0.9.0");
  ASSERT_TRUE(got) << got.error().describe();
  EXPECT_TRUE(b.verify(*got));
}

TEST_F(SharedReleases, AHomeCopyThatDisagreesWithTheStoreIsRefused) {
  makeApp(src.path());
  ASSERT_TRUE(a.create("crawler", "3.0.0", src.path()));
  // Home B holds a different 3.0.0 of its own (made against another store).
  TempDir scratch;
  auto other = ramp::store::openStore((scratch.path() / "other.db").string());
  ASSERT_TRUE(other);
  writeFile(src.path() / "share/data.txt", "different\n");
  ReleaseStore elsewhere{homeB.path(), **other, clock};
  ASSERT_TRUE(elsewhere.create("crawler", "3.0.0", src.path()));
  auto got = b.get("crawler", "3.0.0");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(got.error().message.find("this home's copy"), std::string::npos) << got.error().message;
}

// ---- the bundle reader on hostile archives

std::string octal(uint64_t v, size_t width) {
  std::string s(width - 1, '0');
  for (size_t i = width - 1; i-- > 0; v >>= 3) s[i] = static_cast<char>('0' + (v & 7));
  return s + '\0';
}

std::string entry(const std::string& name, char type, const std::string& data, const std::string& link = "") {
  std::string h(512, '\0');
  h.replace(0, name.size(), name);
  h.replace(100, 8, octal(0644, 8));
  h.replace(124, 12, octal(data.size(), 12));
  h[156] = type;
  h.replace(157, link.size(), link);
  h.replace(257, 6, std::string("ustar\0", 6));
  std::fill(h.begin() + 148, h.begin() + 156, ' ');
  uint64_t sum = 0;
  for (unsigned char c : h) sum += c;
  h.replace(148, 7, octal(sum, 7));
  std::string body = data;
  body.resize((data.size() + 511) / 512 * 512, '\0');
  return h + body;
}

std::string end() { return std::string(1024, '\0'); }

TEST(BundleReaderTest, RefusesArchivesThatWouldEscapeTheTree) {
  TempDir t;
  struct Case {
    std::string name;
    std::string archive;
    std::string expect;
  };
  std::vector<Case> cases{
      {"dotdot", entry("../evil", '0', "x") + end(), "'..'"},
      {"absolute", entry("/tmp/evil", '0', "x") + end(), "absolute"},
      {"through-link", entry("d", '2', "", "..") + entry("d/evil", '0', "x") + end(), "leaves the tree"},
      {"link-then-write", entry("l", '2', "", "sub") + entry("sub", '5', "") + entry("l/evil", '0', "x") + end(),
       "symbolic link"},
      {"twice", entry("a", '0', "x") + entry("a", '0', "y") + end(), "twice"},
      {"device", entry("dev", '3', "") + end(), "unsupported"},
      {"truncated", entry("a", '0', std::string(2000, 'x')).substr(0, 1024), "truncated"},
      {"no-end", entry("a", '0', "x"), "truncated"},
  };
  for (const auto& c : cases) {
    fs::path into = t.path() / c.name;
    auto st = BundleReader::extract(c.archive, into);
    ASSERT_FALSE(st) << c.name;
    EXPECT_NE(st.error().describe().find(c.expect), std::string::npos) << c.name << ": " << st.error().describe();
    EXPECT_FALSE(fs::exists(t.path() / "evil")) << c.name;
  }
  std::string damaged = entry("a", '0', "x") + end();
  damaged[0] = 'b';
  auto bad = BundleReader::extract(damaged, t.path() / "damaged");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("checksum"), std::string::npos);
}

TEST(BundleReaderTest, UnpacksWhatReleaseBundleWrites) {
  TempDir src, out;
  makeApp(src.path());
  // Paths over 100 bytes: ustar's prefix field.
  writeFile(src.path() / std::string(60, 'a') / std::string(60, 'b') / "deep.txt", "deep\n");
  // A release's tree as the release store holds it (modes normalised).
  const auto held = out.path() / "held";
  ASSERT_TRUE(ramp::release::copyReadOnly(src.path(), held));
  auto bytes = ReleaseBundle::bytes(held);
  ASSERT_TRUE(bytes) << bytes.error().describe();
  ASSERT_TRUE(BundleReader::extract(*bytes, out.path() / "tree"));
  EXPECT_EQ(*ramp::release::treeDigest(out.path() / "tree"), *ramp::release::treeDigest(held));
}

}  // namespace
