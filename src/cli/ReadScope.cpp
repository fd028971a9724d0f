#include "cli/ReadScope.h"

#include <system_error>
#include <vector>

#include "config/ConfigLoader.h"
#include "config/NameSuggestion.h"

namespace ramp::cli {

KnownNames knownNames(ApiClient* api) {
  KnownNames k;
  auto path = config::configPathFor(std::nullopt);
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    if (auto cfg = config::loadConfig(path)) {
      for (const auto& s : cfg->serviceNames()) k.services.insert(s);
      for (const auto& e : cfg->environmentNames()) k.envs.insert(e);
    }
  }
  if (api) {
    if (auto st = api->get("/api/v1/status"); st && st->is_array()) {
      for (const auto& s : *st) {
        if (!s.is_object()) continue;
        if (auto n = s.value("service", ""); !n.empty()) k.services.insert(n);
        if (auto n = s.value("env", ""); !n.empty()) k.envs.insert(n);
      }
    }
  }
  return k;
}

namespace {

Status checkOne(const std::set<std::string>& known, const std::string& name, const std::string& arg,
                const std::string& what, const std::string& plural) {
  if (name.empty() || known.empty() || known.contains(name)) return ok();
  std::vector<std::string> names(known.begin(), known.end());
  return notFound(config::unknownName(what, name, names, plural), arg);
}

}  // namespace

Status checkReadScope(const KnownNames& known, const std::string& service, const std::string& serviceArg,
                      const std::string& env, const std::string& envArg) {
  if (auto s = checkOne(known.services, service, serviceArg, "service", "services"); !s) return s;
  return checkOne(known.envs, env, envArg, "environment", "environments");
}

Error asTyped(Error e, const std::string& serviceArg, const std::string& envArg) {
  if (e.where == "service") e.where = serviceArg;
  else if (e.where == "env") e.where = envArg;
  return e;
}

std::string scopeQuery(const std::string& service, const std::string& env) {
  std::string q;
  if (!service.empty()) q += "service=" + service + "&";
  if (!env.empty()) q += "env=" + env;
  return q;
}

}  // namespace ramp::cli
