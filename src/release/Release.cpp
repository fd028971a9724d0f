// Release.cpp — release.json encoding.
#include "release/Release.h"

#include "core/Clock.h"

namespace ramp::release {

nlohmann::json Release::toJson() const {
  return nlohmann::json{
      {"format", 1},
      {"service", service},
      {"version", version},
      {"digest", digest},
      {"created_at", formatTime(fromUnixMillis(createdAtMs))},
      {"created_at_ms", createdAtMs},
      {"created_by", createdBy},
      {"source", source},
      {"files", files},
      {"bytes", bytes},
  };
}

nlohmann::json Release::toApiJson() const {
  auto j = toJson();
  j.erase("format");
  j["path"] = tree().string();
  return j;
}

Result<Release> Release::fromJson(const nlohmann::json& j, const std::string& where) {
  if (!j.is_object()) return invalid("release metadata is not a JSON object", where);
  Release r;
  auto str = [&](const char* key, std::string& out) -> Status {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) {
      return invalid(std::string("field \"") + key + "\" missing or not a string", where);
    }
    out = it->get<std::string>();
    return ok();
  };
  auto num = [&](const char* key, auto& out) -> Status {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer()) {
      return invalid(std::string("field \"") + key + "\" missing or not an integer", where);
    }
    out = it->get<std::remove_reference_t<decltype(out)>>();
    return ok();
  };
  if (auto it = j.find("format"); it == j.end() || !it->is_number_integer() || *it != 1) {
    return invalid("field \"format\": unsupported release metadata format (want 1)", where);
  }
  for (auto s : {str("service", r.service), str("version", r.version), str("digest", r.digest),
                 str("created_by", r.createdBy), str("source", r.source),
                 num("created_at_ms", r.createdAtMs), num("files", r.files),
                 num("bytes", r.bytes)}) {
    if (!s) return std::unexpected(s.error());
  }
  if (r.digest.size() != 71 || r.digest.rfind("sha256:", 0) != 0) {
    return invalid("field \"digest\": not sha256:<64 hex>", where);
  }
  return r;
}

}  // namespace ramp::release
