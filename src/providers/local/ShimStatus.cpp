#include "providers/local/ShimStatus.h"

#include <cstring>

#include "core/Home.h"

namespace ramp::providers {

void writeShimAndChild(nlohmann::json& j, const ProcessIdentity& shim, const ProcessIdentity& child) {
  j["shimPid"] = shim.pid;
  j["shimStart"] = shim.startTime;
  j["childPid"] = child.pid;
  j["childStart"] = child.startTime;
}

void readShimAndChild(const nlohmann::json& j, ProcessIdentity& shim, ProcessIdentity& child) {
  shim = {j.value("shimPid", int64_t{0}), j.value("shimStart", uint64_t{0})};
  child = {j.value("childPid", int64_t{0}), j.value("childStart", uint64_t{0})};
}

nlohmann::json ShimStatus::toJson() const {
  nlohmann::json j = {{"state", state},
                      {"exitCode", exitCode},
                      {"signal", signal},
                      {"error", error},
                      {"startedAtMs", startedAtMs},
                      {"endedAtMs", endedAtMs}};
  writeShimAndChild(j, shim, child);
  return j;
}

Result<ShimStatus> ShimStatus::load(const std::filesystem::path& file) {
  auto text = readFile(file, 1u << 20);
  if (!text) return std::unexpected(text.error());
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid("status file is not a JSON object", file.string());
  try {
    ShimStatus s;
    s.state = j.value("state", std::string("starting"));
    readShimAndChild(j, s.shim, s.child);
    s.exitCode = j.value("exitCode", -1);
    s.signal = j.value("signal", 0);
    s.error = j.value("error", std::string());
    s.startedAtMs = j.value("startedAtMs", int64_t{0});
    s.endedAtMs = j.value("endedAtMs", int64_t{0});
    return s;
  } catch (const nlohmann::json::exception& e) {
    return invalid(std::string("bad status file: ") + e.what(), file.string());
  }
}

Status ShimStatus::save(const std::filesystem::path& file) const {
  return writeFileAtomic(file, toJson().dump());
}

std::string ShimStatus::describeEnd() const {
  if (state == "failed") return error;
  if (signal != 0) {
    const char* name = ::strsignal(signal);
    return "killed by signal " + std::to_string(signal) + (name ? std::string(" (") + name + ")" : "");
  }
  if (exitCode >= 0) return "exit code " + std::to_string(exitCode);
  return state;
}

}  // namespace ramp::providers
