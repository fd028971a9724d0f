// RotatingLog: size-based rotation, keep count, append on reopen.
#include "providers/local/RotatingLog.h"

#include <cstdlib>

#include <gtest/gtest.h>

#include "core/Home.h"

namespace ramp::providers {
namespace {

namespace fs = std::filesystem;

fs::path scratch(const std::string& name) {
  const char* h = std::getenv("RAMP_HOME");
  fs::path dir = fs::path(h ? h : "/tmp") / "rotating-log" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(RotatingLogTest, RotatesBeforeExceedingTheLimitAndKeepsN) {
  auto dir = scratch("rotate");
  RotatingLog log(dir / "out.log", 100, 2);
  ASSERT_TRUE(log.open());
  std::string chunk(40, 'a');
  for (int i = 0; i < 10; ++i) {
    chunk[0] = static_cast<char>('0' + i);
    ASSERT_TRUE(log.write(chunk));
  }
  // 40+40 fit, the third rotates: files hold chunks {8,9}, {6,7}, {4,5}; older are gone.
  EXPECT_EQ(fs::file_size(dir / "out.log"), 80u);
  EXPECT_EQ(fs::file_size(dir / "out.log.1"), 80u);
  EXPECT_EQ(fs::file_size(dir / "out.log.2"), 80u);
  EXPECT_FALSE(fs::exists(dir / "out.log.3"));
  EXPECT_EQ(readFile(dir / "out.log")->substr(0, 1), "8");
  EXPECT_EQ(readFile(dir / "out.log.1")->substr(0, 1), "6");
  EXPECT_EQ(readFile(dir / "out.log.2")->substr(0, 1), "4");
}

TEST(RotatingLogTest, AppendsToAnExistingFileAndCountsItsSize) {
  auto dir = scratch("append");
  ASSERT_TRUE(writeFileAtomic(dir / "out.log", std::string(90, 'x')));
  RotatingLog log(dir / "out.log", 100, 1);
  ASSERT_TRUE(log.open());
  EXPECT_EQ(log.size(), 90u);
  ASSERT_TRUE(log.write("0123456789"));
  EXPECT_EQ(fs::file_size(dir / "out.log"), 100u);
  ASSERT_TRUE(log.write("z"));
  EXPECT_EQ(fs::file_size(dir / "out.log"), 1u);
  EXPECT_EQ(fs::file_size(dir / "out.log.1"), 100u);
}

TEST(RotatingLogTest, KeepZeroTruncates) {
  auto dir = scratch("zero");
  RotatingLog log(dir / "out.log", 10, 0);
  ASSERT_TRUE(log.open());
  ASSERT_TRUE(log.write("0123456789"));
  ASSERT_TRUE(log.write("abc"));
  EXPECT_EQ(*readFile(dir / "out.log"), "abc");
  EXPECT_FALSE(fs::exists(dir / "out.log.1"));
}

TEST(RotatingLogTest, ABigWriteIsSplitAtLinesAndNoFileExceedsTheLimit) {
  auto dir = scratch("split");
  RotatingLog log(dir / "out.log", 100, 5);
  ASSERT_TRUE(log.open());
  std::string big;
  for (int i = 0; i < 12; ++i) big += "line " + std::to_string(i) + " ..........................\n";  // 12 x 34 bytes
  ASSERT_TRUE(log.write(big));
  std::string joined;
  for (int i = 5; i >= 1; --i) {
    auto p = dir / ("out.log." + std::to_string(i));
    if (!fs::exists(p)) continue;
    EXPECT_LE(fs::file_size(p), 100u);
    auto text = *readFile(p);
    EXPECT_EQ(text.back(), '\n') << "cut at a line end";
    joined += text;
  }
  EXPECT_LE(fs::file_size(dir / "out.log"), 100u);
  joined += *readFile(dir / "out.log");
  EXPECT_EQ(joined, big) << "nothing lost, order kept";
  // A line longer than the limit is cut mid-line, still within the limit.
  ASSERT_TRUE(log.write(std::string(250, 'q')));
  EXPECT_LE(fs::file_size(dir / "out.log"), 100u);
  EXPECT_LE(fs::file_size(dir / "out.log.1"), 100u);
}

TEST(RotatingLogTest, UnwritablePathIsAnErrorNamingIt) {
  RotatingLog log("/proc/definitely/not/here.log", 10, 1);
  auto s = log.open();
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().where.find("/proc/definitely/not/here.log"), std::string::npos);
}

}  // namespace
}  // namespace ramp::providers
