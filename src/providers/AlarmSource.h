// AlarmSource.h — external alarms that act as rollback triggers.
//
// A provider that can watch alarms (AWS: CloudWatch alarms named in the
// environment's config, environment.aws.alarms) answers which of them are
// firing for an entry point. The engine may consult it during a deployment
// (as CodeDeploy does) and roll back when the list is non-empty; an error
// means "unknown", never "fine". `names` empty = the alarms configured for
// the entry point's environment.
#pragma once

#include <string>
#include <vector>

#include "core/Result.h"
#include "providers/Provider.h"

namespace ramp::providers {

class AlarmSource {
 public:
  virtual ~AlarmSource() = default;
  virtual Result<std::vector<std::string>> alarmsInAlarm(const EntrypointKey& key,
                                                         const std::vector<std::string>& names) = 0;
};

}  // namespace ramp::providers
