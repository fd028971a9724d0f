#include "core/Duration.h"

#include <gtest/gtest.h>

using namespace std::chrono_literals;

TEST(Duration, ParsesWhatPeopleWrite) {
  struct Case { const char* text; std::chrono::milliseconds want; };
  for (auto c : {Case{"30s", 30s}, Case{"5m", 5min}, Case{"1h30m", 90min}, Case{"250ms", 250ms},
                 Case{"0", 0ms}, Case{"1d2h", 26h}, Case{"1m30s500ms", 90500ms}}) {
    auto d = ramp::parseDuration(c.text);
    ASSERT_TRUE(d.has_value()) << c.text << ": " << d.error().message;
    EXPECT_EQ(*d, c.want) << c.text;
  }
}

TEST(Duration, RefusesWhatIsAmbiguousOrWrong) {
  for (const char* bad : {"", "30", "s", "5x", "-5s", "1m1h", "1s1s", " 5s", "5 s", "1.5s",
                          "99999999999999999999s", "5S"}) {
    auto d = ramp::parseDuration(bad);
    EXPECT_FALSE(d.has_value()) << "accepted '" << bad << "'";
  }
}

TEST(Duration, FormatsCanonically) {
  EXPECT_EQ(ramp::formatDuration(90s), "1m30s");
  EXPECT_EQ(ramp::formatDuration(250ms), "250ms");
  EXPECT_EQ(ramp::formatDuration(0ms), "0s");
}
