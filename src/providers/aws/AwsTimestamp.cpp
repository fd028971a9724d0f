#include "providers/aws/AwsTimestamp.h"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace ramp::providers::aws {
namespace {

// `t` as UTC calendar time, to the second, in strftime's `pattern`.
std::string utcText(WallTime t, const char* pattern) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, pattern, &tm);
  return buf;
}

}  // namespace

Result<WallTime> AwsTimestamp::parse(std::string_view text) {
  std::string s(text);
  int y, mo, d, h, mi, sec;
  int consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &consumed) != 6) {
    return invalid("not an ISO 8601 timestamp: '" + s.substr(0, 40) + "'");
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  time_t t = timegm(&tm);
  size_t i = static_cast<size_t>(consumed);
  double frac = 0;
  if (i < s.size() && s[i] == '.') {
    double scale = 0.1;
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      frac += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
  }
  long offset = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(s.c_str() + i + 1, "%2d:%2d", &oh, &om) < 1) return invalid("bad UTC offset in '" + s + "'");
    offset = (oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
  }
  auto ms = static_cast<int64_t>(t - offset) * 1000 + static_cast<int64_t>(frac * 1000);
  return WallTime(std::chrono::milliseconds(ms));
}

std::string AwsTimestamp::format(WallTime t) { return utcText(t, "%Y-%m-%dT%H:%M:%SZ"); }

std::string AwsTimestamp::formatBasic(WallTime t) { return utcText(t, "%Y%m%dT%H%M%SZ"); }

}  // namespace ramp::providers::aws
