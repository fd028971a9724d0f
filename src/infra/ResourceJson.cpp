#include "infra/ResourceJson.h"

#include <concepts>
#include <type_traits>

#include "infra/FieldReader.h"

namespace ramp::infra {
namespace {

// The two directions of one list of fields: ToJson writes each field under
// its key, FromJson reads it back through FieldReader's checks (the first
// problem wins).
struct ToJson {
  nlohmann::json j = nlohmann::json::object();
  void str(const char* key, const std::string& v) { j[key] = v; }
  void optionalStr(const char* key, const std::string& v) { j[key] = v; }
  void strings(const char* key, const std::vector<std::string>& v) { j[key] = v; }
  void object(const char* key, const nlohmann::json& v) { j[key] = v; }
};

struct FromJson {
  FieldReader& rd;
  void str(const char* key, std::string& v) { v = rd.str(key); }
  void optionalStr(const char* key, std::string& v) { v = rd.optionalStr(key); }
  void strings(const char* key, std::vector<std::string>& v) { v = rd.strings(key); }
  void object(const char* key, nlohmann::json& v) { v = rd.object(key); }
};

template <class T, class U>
concept Is = std::same_as<std::remove_const_t<T>, U>;

// Each type's fields, each key named once for both directions: the identity
// (ResourceIdentity) first, then the type's own fields in their order.
void identityFields(auto& io, auto& r) {
  io.str("address", r.address);
  io.str("type", r.type);
  io.optionalStr("name", r.name);
  io.optionalStr("region", r.region);
}

template <class IO, Is<ResourceState> S>
void fields(IO& io, S& s) {
  identityFields(io, s);
  io.optionalStr("id", s.id);
  io.object("attributes", s.attributes);
}

template <class IO, Is<Resource> R>
void fields(IO& io, R& r) {
  identityFields(io, r);
  io.object("attributes", r.attributes);
  io.strings("depends_on", r.dependsOn);
  io.strings("force_new", r.forceNew);
  io.object("tags", r.tags);
}

template <class R>
nlohmann::json writeFields(const R& r) {
  ToJson io;
  fields(io, r);
  return std::move(io.j);
}

// After every field is read: the address must not be empty; the first problem wins.
template <class R>
Result<R> readFields(const nlohmann::json& j, const std::string& where) {
  FieldReader rd(j, where);
  FromJson io{rd};
  R r;
  fields(io, r);
  if (rd.ok() && r.address.empty()) rd.fail("must not be empty", "address");
  if (!rd.ok()) return std::unexpected(rd.error());
  return r;
}

}  // namespace

nlohmann::json resourceStateJson(const ResourceState& s) { return writeFields(s); }

Result<ResourceState> resourceStateFromJson(const nlohmann::json& j, const std::string& where) {
  return readFields<ResourceState>(j, where);
}

nlohmann::json resourceJson(const Resource& r) { return writeFields(r); }

Result<Resource> resourceFromJson(const nlohmann::json& j, const std::string& where) {
  return readFields<Resource>(j, where);
}

}  // namespace ramp::infra
