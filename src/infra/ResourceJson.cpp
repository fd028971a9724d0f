#include "infra/ResourceJson.h"

#include "infra/FieldReader.h"

namespace ramp::infra {
namespace {

// The fields Resource and ResourceState share (their ResourceIdentity and
// attributes): written and read the same way for both (readNamed reads the
// identity; attributes is read by the caller, in its order of fields).
template <class R>
nlohmann::json commonJson(const R& r) {
  return nlohmann::json{{"address", r.address}, {"type", r.type},     {"name", r.name},
                        {"region", r.region},   {"attributes", r.attributes}};
}

void readNamed(FieldReader& rd, ResourceIdentity& r) {
  r.address = rd.str("address");
  r.type = rd.str("type");
  r.name = rd.optionalStr("name");
  r.region = rd.optionalStr("region");
}

// After every field is read: the address must not be empty; the first problem wins.
template <class R>
Result<R> checked(FieldReader& rd, R r) {
  if (rd.ok() && r.address.empty()) rd.fail("must not be empty", "address");
  if (!rd.ok()) return std::unexpected(rd.error());
  return r;
}

}  // namespace

nlohmann::json resourceStateJson(const ResourceState& s) {
  auto j = commonJson(s);
  j["id"] = s.id;
  return j;
}

Result<ResourceState> resourceStateFromJson(const nlohmann::json& j, const std::string& where) {
  FieldReader rd(j, where);
  ResourceState s;
  readNamed(rd, s);
  s.id = rd.optionalStr("id");
  s.attributes = rd.object("attributes");
  return checked(rd, std::move(s));
}

nlohmann::json resourceJson(const Resource& r) {
  auto j = commonJson(r);
  j["depends_on"] = r.dependsOn;
  j["force_new"] = r.forceNew;
  j["tags"] = r.tags;
  return j;
}

Result<Resource> resourceFromJson(const nlohmann::json& j, const std::string& where) {
  FieldReader rd(j, where);
  Resource r;
  readNamed(rd, r);
  r.attributes = rd.object("attributes");
  r.dependsOn = rd.strings("depends_on");
  r.forceNew = rd.strings("force_new");
  r.tags = rd.object("tags");
  return checked(rd, std::move(r));
}

}  // namespace ramp::infra
