// TreeDigestTest.cpp — the release digest: deterministic, sensitive to every
// byte, name, mode and directory, refusing special files with their path.
#include "release/TreeDigest.h"

#include <gtest/gtest.h>

#include <cstring>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "TempDir.h"

namespace fs = std::filesystem;
using ramp::release::treeDigest;
using ramp::release::treeStats;
using ramp::release::testing::TempDir;
using ramp::release::testing::writeFile;

namespace {

void makeSample(const fs::path& root, bool reverse) {
  if (reverse) {
    writeFile(root / "lib/b.txt", "bee\n");
    writeFile(root / "lib/a.txt", "ay\n");
    writeFile(root / "bin/run", "#!/bin/sh\necho hi\n");
    writeFile(root / "README", "readme");
  } else {
    writeFile(root / "README", "readme");
    writeFile(root / "bin/run", "#!/bin/sh\necho hi\n");
    writeFile(root / "lib/a.txt", "ay\n");
    writeFile(root / "lib/b.txt", "bee\n");
  }
  fs::permissions(root / "bin/run", fs::perms(0755));
  for (auto p : {"README", "lib/a.txt", "lib/b.txt"}) fs::permissions(root / p, fs::perms(0644));
  for (auto p : {"bin", "lib"}) fs::permissions(root / p, fs::perms(0755));
}

std::string digestOf(const fs::path& p) {
  auto d = treeDigest(p);
  EXPECT_TRUE(d.has_value()) << (d ? "" : d.error().describe());
  return d ? *d : std::string();
}

}  // namespace

TEST(TreeDigest, FormatIsSha256Hex) {
  TempDir t;
  makeSample(t.path(), false);
  std::string d = digestOf(t.path());
  ASSERT_EQ(d.size(), 7u + 64u);
  EXPECT_EQ(d.substr(0, 7), "sha256:");
  EXPECT_EQ(d.find_first_not_of("0123456789abcdef", 7), std::string::npos);
}

TEST(TreeDigest, EmptyTreeHasKnownDigest) {
  TempDir t;
  // sha256("ramp-tree-v1\0"), computed independently of the implementation:
  // printf 'ramp-tree-v1\0' | sha256sum
  EXPECT_EQ(digestOf(t.path()),
            "sha256:68d706e87a3da39097677b29287aa3067a759bee1addc43c4566303fa2a42b33");
}

TEST(TreeDigest, SameContentSameDigestRegardlessOfOrderAndMtime) {
  TempDir a, b;
  makeSample(a.path(), false);
  makeSample(b.path(), true);
  struct timespec times[2] = {{1000, 0}, {1000, 0}};
  ::utimensat(AT_FDCWD, (b.path() / "README").c_str(), times, 0);
  EXPECT_EQ(digestOf(a.path()), digestOf(b.path()));
}

TEST(TreeDigest, ChangedByteChangesDigest) {
  TempDir t;
  makeSample(t.path(), false);
  std::string before = digestOf(t.path());
  writeFile(t.path() / "lib/a.txt", "az\n");
  EXPECT_NE(before, digestOf(t.path()));
}

TEST(TreeDigest, RenamedFileChangesDigest) {
  TempDir t;
  makeSample(t.path(), false);
  std::string before = digestOf(t.path());
  fs::rename(t.path() / "lib/b.txt", t.path() / "lib/c.txt");
  EXPECT_NE(before, digestOf(t.path()));
}

TEST(TreeDigest, ChmodPlusXChangesDigest) {
  TempDir t;
  makeSample(t.path(), false);
  std::string before = digestOf(t.path());
  fs::permissions(t.path() / "README", fs::perms(0755));
  EXPECT_NE(before, digestOf(t.path()));
}

TEST(TreeDigest, NewEmptyDirChangesDigest) {
  TempDir t;
  makeSample(t.path(), false);
  std::string before = digestOf(t.path());
  fs::create_directory(t.path() / "empty");
  EXPECT_NE(before, digestOf(t.path()));
}

TEST(TreeDigest, MovingContentBetweenFilesChangesDigest) {
  // Boundaries are length-prefixed: "ab"+"c" must differ from "a"+"bc".
  TempDir a, b;
  writeFile(a.path() / "x", "ab");
  writeFile(a.path() / "y", "c");
  writeFile(b.path() / "x", "a");
  writeFile(b.path() / "y", "bc");
  EXPECT_NE(digestOf(a.path()), digestOf(b.path()));
}

TEST(TreeDigest, SymlinkTargetIsHashedNotFollowed) {
  TempDir t;
  writeFile(t.path() / "target1", "one");
  writeFile(t.path() / "target2", "one");
  fs::create_symlink("target1", t.path() / "link");
  std::string before = digestOf(t.path());
  fs::remove(t.path() / "link");
  fs::create_symlink("target2", t.path() / "link");
  EXPECT_NE(before, digestOf(t.path()));
  // A dangling link is fine: it is never followed.
  fs::remove(t.path() / "link");
  fs::create_symlink("/nonexistent/nowhere", t.path() / "link");
  auto d = treeDigest(t.path());
  EXPECT_TRUE(d.has_value());
  // A symlink and a file of the same content differ.
  TempDir u;
  writeFile(u.path() / "target1", "one");
  writeFile(u.path() / "target2", "one");
  writeFile(u.path() / "link", "/nonexistent/nowhere");
  EXPECT_NE(*d, digestOf(u.path()));
}

TEST(TreeDigest, SortIsByteOrderOfFullPath) {
  // "a.txt" sorts before "a/b"; the digest must not depend on walk order,
  // and must match across two independent trees built in different order.
  TempDir a, b;
  writeFile(a.path() / "a/b", "1");
  writeFile(a.path() / "a.txt", "2");
  writeFile(b.path() / "a.txt", "2");
  writeFile(b.path() / "a/b", "1");
  EXPECT_EQ(digestOf(a.path()), digestOf(b.path()));
}

TEST(TreeDigest, StatsCountFilesAndBytes) {
  TempDir t;
  makeSample(t.path(), false);
  fs::create_symlink("README", t.path() / "link");
  auto s = treeStats(t.path());
  ASSERT_TRUE(s.has_value()) << s.error().describe();
  EXPECT_EQ(s->files, 4u);
  EXPECT_EQ(s->directories, 2u);
  EXPECT_EQ(s->symlinks, 1u);
  EXPECT_EQ(s->bytes, 6u + 18u + 3u + 4u);
}

TEST(TreeDigest, LargeFileIsStreamed) {
  TempDir t;
  std::string big(3 * 1024 * 1024 + 17, 'x');
  writeFile(t.path() / "big", big);
  std::string before = digestOf(t.path());
  big[2 * 1024 * 1024 + 5] = 'y';
  writeFile(t.path() / "big", big);
  EXPECT_NE(before, digestOf(t.path()));
}

TEST(TreeDigest, FifoIsRefusedNamingItsPath) {
  TempDir t;
  writeFile(t.path() / "ok", "fine");
  fs::create_directory(t.path() / "sub");
  ASSERT_EQ(::mkfifo((t.path() / "sub/pipe").c_str(), 0644), 0);
  auto d = treeDigest(t.path());
  ASSERT_FALSE(d.has_value());
  EXPECT_NE(d.error().describe().find("sub/pipe"), std::string::npos) << d.error().describe();
  EXPECT_NE(d.error().describe().find("FIFO"), std::string::npos) << d.error().describe();
}

TEST(TreeDigest, SocketIsRefusedNamingItsPath) {
  TempDir t;
  fs::path sock = t.path() / "s.sock";
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(sock.string().size(), sizeof(addr.sun_path));
  std::strncpy(addr.sun_path, sock.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  auto d = treeDigest(t.path());
  ::close(fd);
  ASSERT_FALSE(d.has_value());
  EXPECT_NE(d.error().describe().find("s.sock"), std::string::npos) << d.error().describe();
  EXPECT_NE(d.error().describe().find("socket"), std::string::npos);
}

TEST(TreeDigest, UnreadableFileIsRefusedNamingItsPath) {
  if (::geteuid() == 0) GTEST_SKIP() << "root can read anything";
  TempDir t;
  writeFile(t.path() / "secret", "x");
  fs::permissions(t.path() / "secret", fs::perms(0000));
  auto d = treeDigest(t.path());
  ASSERT_FALSE(d.has_value());
  EXPECT_NE(d.error().describe().find("secret"), std::string::npos) << d.error().describe();
}

TEST(TreeDigest, MissingRootIsNotFound) {
  TempDir t;
  auto d = treeDigest(t.path() / "nope");
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().code, ramp::ErrorCode::kNotFound);
  EXPECT_NE(d.error().describe().find("nope"), std::string::npos);
}
