// SecretStore.h — ramp's own secret store for the local provider.
//
// Secrets live in $RAMP_HOME/secrets/NAME: the directory is mode 0700, each
// file mode 0600, written atomically. Names are [A-Za-z0-9_.-]+ (not "." or
// ".."), at most 128 characters. Values are never printed by ramp: `ramp
// secret set NAME` reads the value from stdin, `ramp secret list` shows names
// only. Instances get values through ${secret:NAME} (Reference.h).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/Result.h"

namespace ramp::config {

class SecretStore {
 public:
  explicit SecretStore(std::filesystem::path home);

  static bool validName(std::string_view name);

  Status set(const std::string& name, std::string_view value);
  // kNotFound when there is no such secret.
  Result<std::string> get(const std::string& name) const;
  // Sorted names.
  Result<std::vector<std::string>> list() const;
  // kNotFound when there is no such secret.
  Status remove(const std::string& name);

  const std::filesystem::path& directory() const { return dir_; }

 private:
  Status checkName(const std::string& name) const;
  std::filesystem::path dir_;
};

}  // namespace ramp::config
