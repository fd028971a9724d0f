#include "engine/AlarmWatch.h"

namespace ramp::engine {

AlarmWatch::AlarmWatch(providers::AlarmSource* source, Clock& clock) : source_(source), clock_(clock) {}

AlarmWatch::Look AlarmWatch::look(const std::string& id, const providers::EntrypointKey& key,
                                  const std::vector<std::string>& alarms, bool force) {
  Look out;
  if (!source_ || alarms.empty()) return out;
  auto mono = clock_.monotonic();
  {
    std::lock_guard lock(mu_);
    if (!force) {
      auto it = nextLook_.find(id);
      if (it != nextLook_.end() && mono < it->second) {
        out.unknown = lastError_.contains(id);
        if (out.unknown) out.error = lastError_[id];
        return out;
      }
    }
    nextLook_[id] = mono + std::chrono::seconds(1);
  }
  auto firing = source_->alarmsInAlarm(key, alarms);
  std::lock_guard lock(mu_);
  if (!firing) {
    out.unknown = true;
    out.error = "alarm state unknown: " + firing.error().describe();
    out.newError = lastError_[id] != out.error;
    lastError_[id] = out.error;
    return out;
  }
  lastError_.erase(id);
  if (!firing->empty()) out.firing = firing->front();
  return out;
}

std::optional<MonoTime> AlarmWatch::dueAt(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = nextLook_.find(id);
  if (it == nextLook_.end()) return std::nullopt;
  return it->second;
}

std::string AlarmWatch::lastError(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = lastError_.find(id);
  return it == lastError_.end() ? std::string() : it->second;
}

}  // namespace ramp::engine
