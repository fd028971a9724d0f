#include "server/DeploymentScope.h"

#include "server/ApiServer.h"

namespace ramp::server {

namespace {

Result<std::vector<Need>> envOfDeployment(store::Store& st, const std::string& id, const std::string& role) {
  auto rec = st.getDeployment(id);
  if (!rec) {
    if (rec.error().code == ErrorCode::kNotFound) return std::vector<Need>{{role, ""}};
    return std::unexpected(rec.error());
  }
  return std::vector<Need>{{role, rec->env}};
}

}  // namespace

Access ofDeploymentParam(store::Store& st, const std::string& role) {
  return Access::custom(role + " in the deployment's env", [&st, role](const ApiRequest& r) -> Result<std::vector<Need>> {
    if (r.params.empty()) return std::vector<Need>{{role, "*"}};
    return envOfDeployment(st, r.params[0], role);
  });
}

Access ofEventQuery(store::Store& st, const std::string& role) {
  return Access::custom(role + " in ?env= or the ?deployment='s env (* when neither)",
                        [&st, role](const ApiRequest& r) -> Result<std::vector<Need>> {
                          if (auto it = r.query.find("env"); it != r.query.end() && !it->second.empty()) {
                            return std::vector<Need>{{role, it->second}};
                          }
                          if (auto it = r.query.find("deployment"); it != r.query.end() && !it->second.empty()) {
                            return envOfDeployment(st, it->second, role);
                          }
                          return std::vector<Need>{{role, "*"}};
                        });
}

std::unexpected<Error> deploymentLookupFailed(const Error& error, const std::string& id) {
  if (error.code == ErrorCode::kNotFound) return notFound("no deployment " + id, "id");
  return std::unexpected(error);
}

}  // namespace ramp::server
