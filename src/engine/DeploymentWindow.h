// DeploymentWindow.h — when an environment accepts deployments: its optional
// deployment window and its change freezes (config ApprovalPolicy::window /
// ::freeze), evaluated in each window's IANA time zone (howardhinnant date's
// tz over the system's /usr/share/zoneinfo).
//
// Pure: no clock, no store. A deployment may start at `now` when it is
// inside the window (if there is one) and inside no freeze. When it may not,
// check() says why (naming the window, e.g. "freeze[0] (fri 16:00-24:00
// Europe/Berlin)") and when it next may start (scanned minute by minute over
// at most 15 days; none when it never opens in that span).
//
// Windows are weekly: `days` (mon..sun; empty = every day) and `hours`
// "HH:MM-HH:MM" (start inclusive, end exclusive; empty = all day), both in
// the window's own local time, so daylight-saving changes are respected.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/Model.h"
#include "core/Clock.h"
#include "core/Result.h"

namespace ramp::engine {

struct WindowDecision {
  bool open = true;
  std::string reason;               // why not (empty when open)
  std::optional<WallTime> opensAt;  // when it next opens (closed only)
};

class DeploymentWindow {
 public:
  // Checks every window's time zone and hours; kInvalid naming the field
  // ("approval.freeze[1].timezone") otherwise.
  static Result<DeploymentWindow> fromPolicy(const config::ApprovalPolicy& policy);

  // Pure decision at one instant.
  WindowDecision check(WallTime now) const;
  // True when `w` contains `t` (its days and hours in its zone).
  static Result<bool> contains(const config::TimeWindow& w, WallTime t);
  // "fri,sat 16:00-24:00 Europe/Berlin"
  static std::string describe(const config::TimeWindow& w);
  bool unrestricted() const { return !window_ && freeze_.empty(); }

 private:
  bool openAt(WallTime t, std::string* why) const;
  std::optional<config::TimeWindow> window_;
  std::vector<config::TimeWindow> freeze_;
};

}  // namespace ramp::engine
