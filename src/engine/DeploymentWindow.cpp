#include "engine/DeploymentWindow.h"

#include <algorithm>

#include <date/date.h>
#include <date/tz.h>
#include <fmt/format.h>

namespace ramp::engine {

namespace {

const char* kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

// Minutes of "HH:MM"; -1 when malformed.
int minutesOf(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return -1;
  for (size_t i : {0u, 1u, 3u, 4u}) {
    if (s[i] < '0' || s[i] > '9') return -1;
  }
  int hh = (s[0] - '0') * 10 + (s[1] - '0'), mm = (s[3] - '0') * 10 + (s[4] - '0');
  if (mm > 59 || hh > 24 || (hh == 24 && mm != 0)) return -1;
  return hh * 60 + mm;
}

Result<std::pair<int, int>> hoursOf(const std::string& hours, const std::string& where) {
  if (hours.empty()) return std::pair{0, 24 * 60};
  auto dash = hours.find('-');
  int a = dash == std::string::npos ? -1 : minutesOf(std::string_view(hours).substr(0, dash));
  int b = dash == std::string::npos ? -1 : minutesOf(std::string_view(hours).substr(dash + 1));
  if (a < 0 || b < 0 || a >= b) return invalid("'" + hours + "' is not HH:MM-HH:MM with start before end", where);
  return std::pair{a, b};
}

Result<const date::time_zone*> zoneOf(const std::string& name, const std::string& where) {
  try {
    return date::locate_zone(name.empty() ? "UTC" : name);
  } catch (const std::exception&) {
    return invalid("unknown time zone '" + name + "' (use an IANA name such as Europe/Berlin)", where);
  }
}

Status validate(const config::TimeWindow& w, const std::string& where) {
  if (auto z = zoneOf(w.timezone, where + ".timezone"); !z) return std::unexpected(z.error());
  if (auto h = hoursOf(w.hours, where + ".hours"); !h) return std::unexpected(h.error());
  for (const auto& d : w.days) {
    if (std::find(std::begin(kDayNames), std::end(kDayNames), d) == std::end(kDayNames)) {
      return invalid("'" + d + "' is not a day (mon..sun)", where + ".days");
    }
  }
  return ok();
}

}  // namespace

Result<DeploymentWindow> DeploymentWindow::fromPolicy(const config::ApprovalPolicy& policy) {
  DeploymentWindow out;
  if (policy.window) {
    if (auto st = validate(*policy.window, "approval.window"); !st) return std::unexpected(st.error());
    out.window_ = policy.window;
  }
  for (size_t i = 0; i < policy.freeze.size(); ++i) {
    if (auto st = validate(policy.freeze[i], fmt::format("approval.freeze[{}]", i)); !st) {
      return std::unexpected(st.error());
    }
    out.freeze_.push_back(policy.freeze[i]);
  }
  return out;
}

Result<bool> DeploymentWindow::contains(const config::TimeWindow& w, WallTime t) {
  auto zone = zoneOf(w.timezone, "timezone");
  if (!zone) return std::unexpected(zone.error());
  auto hours = hoursOf(w.hours, "hours");
  if (!hours) return std::unexpected(hours.error());
  auto local = date::make_zoned(*zone, std::chrono::time_point_cast<std::chrono::seconds>(t)).get_local_time();
  auto day = date::floor<date::days>(local);
  date::weekday wd{day};
  int minute = static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(local - day).count());
  if (!w.days.empty()) {
    std::string name = kDayNames[wd.c_encoding()];
    if (std::find(w.days.begin(), w.days.end(), name) == w.days.end()) return false;
  }
  return minute >= hours->first && minute < hours->second;
}

std::string DeploymentWindow::describe(const config::TimeWindow& w) {
  std::string days;
  for (const auto& d : w.days) days += (days.empty() ? "" : ",") + d;
  return fmt::format("{} {} {}", days.empty() ? "every day" : days, w.hours.empty() ? "all day" : w.hours,
                     w.timezone.empty() ? "UTC" : w.timezone);
}

bool DeploymentWindow::openAt(WallTime t, std::string* why) const {
  if (window_) {
    auto in = contains(*window_, t);
    if (!in || !*in) {
      if (why) *why = "outside the deployment window (" + describe(*window_) + ")";
      return false;
    }
  }
  for (size_t i = 0; i < freeze_.size(); ++i) {
    auto in = contains(freeze_[i], t);
    if (!in || *in) {
      if (why) *why = fmt::format("inside change freeze[{}] ({})", i, describe(freeze_[i]));
      return false;
    }
  }
  return true;
}

WindowDecision DeploymentWindow::check(WallTime now) const {
  WindowDecision out;
  std::string why;
  if (openAt(now, &why)) return out;
  out.open = false;
  out.reason = why;
  // Next opening: minute boundaries, at most 15 days ahead (bounded loop).
  auto t = std::chrono::time_point_cast<std::chrono::minutes>(now) + std::chrono::minutes(1);
  for (int i = 0; i < 15 * 24 * 60; ++i, t += std::chrono::minutes(1)) {
    if (openAt(t, nullptr)) {
      out.opensAt = t;
      break;
    }
  }
  return out;
}

}  // namespace ramp::engine
