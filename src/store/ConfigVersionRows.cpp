#include "store/ConfigVersionRows.h"

#include <fmt/format.h>

namespace ramp::store {

bool isConfigVersionState(const std::string& s) {
  return s == "in_force" || s == "superseded" || s == "pending" || s == "rejected" || s == "expired" ||
         s == "withdrawn" || s == "stale";
}

Status checkConfigVersion(const ConfigVersionRecord& r) {
  if (r.digest.empty()) return invalid("config version digest is empty", "digest");
  if (r.pushedBy.empty()) return invalid("config version pusher is empty", "pushed_by");
  if (!r.files.is_array()) return invalid("config version files must be an array", "files");
  if (!r.doc.is_object()) return invalid("config version doc must be an object", "doc");
  if (!isConfigVersionState(r.state)) return invalid("unknown config version state '" + r.state + "'", "state");
  if (r.baseVersion < 0) return invalid("base version must be >= 0", "base_version");
  return ok();
}

Status decideAppend(const ConfigVersionRecord& r, int64_t inForce) {
  if (r.state != "in_force" && r.state != "pending") {
    return invalid("a new config version is in_force or pending, not " + r.state, "state");
  }
  if (r.state == "in_force" && inForce != r.baseVersion) {
    return conflict(fmt::format("config version {} is in force, not {} (pushed on top of it); push again",
                                inForce, r.baseVersion),
                    "config version");
  }
  return ok();
}

Status decideUpdate(const ConfigVersionRecord& r, const std::string& storedState, int64_t storedRevision,
                    int64_t inForce) {
  const std::string where = fmt::format("config version {}", r.version);
  if (storedState != "pending") {
    return failedPrecondition(fmt::format("config version {} is {}, no longer pending", r.version, storedState),
                              where);
  }
  if (storedRevision != r.revision) {
    return conflict(fmt::format("config version {} changed meanwhile (revision {}, read at {})", r.version,
                                storedRevision, r.revision),
                    where);
  }
  if (!isConfigVersionState(r.state) || r.state == "superseded") {
    return invalid("a pending config version cannot become " + r.state, "state");
  }
  if (r.state == "in_force" && inForce != r.baseVersion) {
    return conflict(fmt::format("config version {} is in force now, not {} which version {} was compared with; "
                                "push it again",
                                inForce, r.baseVersion, r.version),
                    where);
  }
  return ok();
}

nlohmann::json docOf(const ConfigVersionRecord& r) {
  return {{"git_commit", r.gitCommit ? nlohmann::json(*r.gitCommit) : nlohmann::json(nullptr)},
          {"git_dirty", r.gitDirty ? nlohmann::json(*r.gitDirty) : nlohmann::json(nullptr)},
          {"message", r.message},
          {"files", r.files},
          {"doc", r.doc}};
}

Status applyDoc(ConfigVersionRecord& r, const nlohmann::json& doc) {
  if (!doc.is_object()) return internal("not an object", fmt::format("config version {}", r.version));
  const auto& c = doc.contains("git_commit") ? doc["git_commit"] : nlohmann::json(nullptr);
  if (c.is_string()) r.gitCommit = c.get<std::string>();
  const auto& d = doc.contains("git_dirty") ? doc["git_dirty"] : nlohmann::json(nullptr);
  if (d.is_boolean()) r.gitDirty = d.get<bool>();
  r.message = doc.value("message", "");
  r.files = doc.contains("files") && doc["files"].is_array() ? doc["files"] : nlohmann::json::array();
  r.doc = doc.contains("doc") && doc["doc"].is_object() ? doc["doc"] : nlohmann::json::object();
  return ok();
}

}  // namespace ramp::store
