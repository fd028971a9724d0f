// Access.h — who may call an API route, declared with the route.
//
// Every ApiServer::route() names an Access; ApiServer authenticates the
// caller, asks the Access which grants the request needs, and checks each
// with Principal::has() BEFORE the handler runs. A request lacking one is
// answered 403 {"error": {"code": "permission_denied", "message": ..., 
// "role": ROLE, "env": ENV}} and the handler never runs, so a denied call
// changes nothing. There is no route without an Access: forgetting to
// authorize a route does not compile.
//
// A Need is one grant: `role` in `env`, where env "*" asks for a grant on
// every environment (a role given with "*"), and env "" asks for the role in
// at least one environment (used when the environment is not known yet,
// e.g. an unknown deployment id: the handler then answers 404).
//
// Factories:
//   open()                 no token at all (health, static assets)
//   global(role)           role on "*" (users, tokens, down, audit seal)
//   bodyEnv(role, field)   role in the env named by the JSON body's field;
//                          field absent -> role on "*"; not a string -> 400
//   queryEnv(role, field)  the same with the query parameter
//   custom(summary, fn)    fn(request) -> the needs (e.g. look up the env of
//                          a deployment id, or add `hotfix` for a hotfix)
// summary() says in words what the route needs (docs, errors).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/Result.h"

namespace ramp::server {

struct ApiRequest;

struct Need {
  std::string role;
  std::string env;  // "*" = every environment, "" = any one environment
};

class Access {
 public:
  using Resolver = std::function<Result<std::vector<Need>>(const ApiRequest&)>;

  static Access open();
  static Access global(const std::string& role);
  static Access bodyEnv(const std::string& role, const std::string& field = "env");
  static Access queryEnv(const std::string& role, const std::string& field = "env");
  static Access custom(const std::string& summary, Resolver resolver);

  bool isOpen() const { return open_; }
  const std::string& summary() const { return summary_; }
  // The grants this request needs (an error, e.g. a 400 for an env field of
  // the wrong type, is answered as is).
  Result<std::vector<Need>> needs(const ApiRequest& r) const;

 private:
  bool open_ = false;
  std::string summary_;
  Resolver resolver_;
};

}  // namespace ramp::server
