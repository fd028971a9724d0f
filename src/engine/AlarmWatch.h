// AlarmWatch.h — the configured alarms (environment.aws.alarms) as rollback
// triggers, looked at through a providers::AlarmSource.
//
// look() answers the first firing alarm, or none. At most one look per
// second per deployment unless `force` (between looks the last answer
// stands: unknown stays unknown). When the source cannot say, `unknown` is
// set and the error kept (lastError); `newError` says the error differs from
// the one before (the caller records an alarm.unknown event once per
// change). In memory: a restart costs one extra look and one repeated event.
//
// Thread-safety: thread-safe (one mutex over the per-deployment maps; the
// source is called outside it).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/Clock.h"
#include "providers/AlarmSource.h"

namespace ramp::engine {

class AlarmWatch {
 public:
  AlarmWatch(providers::AlarmSource* source, Clock& clock);

  struct Look {
    std::optional<std::string> firing;
    bool unknown = false;
    bool newError = false;  // unknown with an error message not seen before
    std::string error;      // "alarm state unknown: ..." when unknown
  };
  Look look(const std::string& deploymentId, const providers::EntrypointKey& key,
            const std::vector<std::string>& alarms, bool force);
  // When look() next asks the source for this deployment (none: it has
  // not looked yet, or no alarm is configured).
  std::optional<MonoTime> dueAt(const std::string& deploymentId);
  // The last "alarm state unknown: ..." message of a deployment ("" = none).
  std::string lastError(const std::string& deploymentId);

 private:
  providers::AlarmSource* source_;
  Clock& clock_;
  std::mutex mu_;
  std::map<std::string, MonoTime> nextLook_;
  std::map<std::string, std::string> lastError_;
};

}  // namespace ramp::engine
