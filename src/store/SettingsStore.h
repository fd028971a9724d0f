// SettingsStore.h — the store's role for small named values that have no
// table of their own (the leader's address, the alert cursor, infra change
// indexes). Engine state has typed tables (DeploymentStore.h, TrafficStore.h).
//
// getSetting: nullopt when absent. putSetting: upsert; with a fence,
// refused (kConflict) unless that lease is held at that epoch.
// putSettingIfAbsent: sets it only if absent and returns the value now
// stored (the winner's). kInvalid for an empty key.
#pragma once

#include <optional>
#include <string>

#include "core/Result.h"
#include "store/LeaseStore.h"

namespace ramp::store {

class SettingsStore {
 public:
  virtual ~SettingsStore() = default;
  virtual Result<std::optional<std::string>> getSetting(const std::string& key) = 0;
  virtual Status putSetting(const std::string& key, const std::string& value,
                            const std::optional<Fence>& fence = std::nullopt) = 0;
  virtual Result<std::string> putSettingIfAbsent(const std::string& key, const std::string& value) = 0;
};

}  // namespace ramp::store
