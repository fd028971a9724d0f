#include "cli/WaveLine.h"

namespace ramp::cli {

std::string waveOutcome(const nlohmann::json& deployment, const nlohmann::json& wave) {
  auto str = [](const nlohmann::json& j, const char* k) {
    return j.is_object() && j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
  };
  const std::string state = str(wave, "state"), version = str(wave, "version"), from = str(wave, "old_version");
  if (state == "running") return from.empty() ? "" : "(" + from + " -> " + version + ")";
  if (state == "succeeded") return "runs " + version;
  if (state == "not_started") return "never touched";
  if (state == "rolled_back" && str(deployment, "kind") == "rollback") return "back on " + version;
  if (state == "rolled_back" || state == "failed" || state == "aborted") return from.empty() ? "" : "back on " + from;
  return "";
}

}  // namespace ramp::cli
