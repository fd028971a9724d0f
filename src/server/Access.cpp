#include "server/Access.h"

#include "server/ApiServer.h"

namespace ramp::server {

Access Access::open() {
  Access a;
  a.open_ = true;
  a.summary_ = "no token needed";
  return a;
}

Access Access::global(const std::string& role) {
  Access a;
  a.summary_ = role + " on *";
  a.resolver_ = [role](const ApiRequest&) -> Result<std::vector<Need>> { return std::vector<Need>{{role, "*"}}; };
  return a;
}

Access Access::bodyEnv(const std::string& role, const std::string& field) {
  Access a;
  a.summary_ = role + " in the body's " + field + " (* when absent)";
  a.resolver_ = [role, field](const ApiRequest& r) -> Result<std::vector<Need>> {
    if (!r.body.is_object() || !r.body.contains(field) || r.body[field].is_null()) {
      return std::vector<Need>{{role, "*"}};
    }
    if (!r.body[field].is_string()) return invalid("must be a string", field);
    auto env = r.body[field].get<std::string>();
    if (env.empty()) return invalid("must not be empty", field);
    return std::vector<Need>{{role, env}};
  };
  return a;
}

Access Access::queryEnv(const std::string& role, const std::string& field) {
  Access a;
  a.summary_ = role + " in ?" + field + "= (* when absent)";
  a.resolver_ = [role, field](const ApiRequest& r) -> Result<std::vector<Need>> {
    auto it = r.query.find(field);
    if (it == r.query.end() || it->second.empty()) return std::vector<Need>{{role, "*"}};
    return std::vector<Need>{{role, it->second}};
  };
  return a;
}

Access Access::custom(const std::string& summary, Resolver resolver) {
  Access a;
  a.summary_ = summary;
  a.resolver_ = std::move(resolver);
  return a;
}

Result<std::vector<Need>> Access::needs(const ApiRequest& r) const {
  if (open_) return std::vector<Need>{};
  if (!resolver_) return internal("route without an access rule");
  return resolver_(r);
}

}  // namespace ramp::server
