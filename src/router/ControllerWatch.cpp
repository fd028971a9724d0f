#include "router/ControllerWatch.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/ControllerLife.h"

namespace ramp::router {

using SteadyClock = std::chrono::steady_clock;

ControllerWatch::ControllerWatch(std::filesystem::path home, std::chrono::milliseconds every)
    : home_(std::move(home)), every_(every) {}

ControllerWatch::~ControllerWatch() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void ControllerWatch::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { run(); });
}

void ControllerWatch::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
}

void ControllerWatch::run() {
  std::chrono::milliseconds pause{0};              // after deaths soon after a start, growing
  SteadyClock::time_point lastStart{};
  bool deathSeen = false;                          // a death was seen: start again from startAt on
  SteadyClock::time_point startAt{};
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, every_, [this] { return stopping_; })) return;
    }
    auto argv = ControllerLife::supervisedCommand(home_);
    if (!argv || ControllerLife::running(home_)) {
      deathSeen = false;
      continue;
    }
    auto now = SteadyClock::now();
    if (!deathSeen) {
      deathSeen = true;
      bool quickDeath = lastStart != SteadyClock::time_point{} && now - lastStart < std::chrono::seconds(10);
      pause = quickDeath ? std::clamp<std::chrono::milliseconds>(2 * pause, std::chrono::seconds(1), std::chrono::seconds(30))
                         : std::chrono::milliseconds(0);
      startAt = std::max(now, lastStart + pause);
      if (quickDeath) {
        spdlog::warn("ramp router: the controller of {} died within 10 s of its start; starting it again in {} ms",
                     home_.string(), std::chrono::duration_cast<std::chrono::milliseconds>(startAt - now).count());
      }
    }
    if (now < startAt) continue;
    spdlog::warn("ramp router: the controller of {} is not running; starting it again", home_.string());
    lastStart = now;
    deathSeen = false;
    auto started = ControllerLife::start(home_, *argv, std::chrono::seconds(10),
                                         {{"RAMP_FAILPOINT", std::nullopt}, {"RAMP_FAILPOINT_RANDOM", std::nullopt}});
    if (!started) {
      spdlog::error("ramp router: starting the controller: {}", started.error().describe());
    } else if (*started) {
      spdlog::info("ramp router: the controller of {} is running again", home_.string());
    }
  }
}

}  // namespace ramp::router
