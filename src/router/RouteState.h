// RouteState.h — the router's configuration as the admin API changes it:
// validate, persist routes.json atomically, then apply to the DataPlane.
//
// Order for every change: build the new RouteTable, write it with
// writeFileAtomic, apply it, and only then answer. A failure at any step
// leaves both the file and the data plane as they were. On start, load()
// re-binds every entry point on its recorded port and re-applies its split;
// a port that cannot be bound is retried every second (the error is shown
// in GET .../entrypoints/{name} as "listen_error").
//
// Epochs: the router remembers the highest controller epoch it has seen
// (across entry points, persisted); a split with a lower epoch is refused
// (kConflict → 409), so a stale controller cannot undo a newer one.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "core/Result.h"
#include "router/DataPlane.h"
#include "router/RouteTable.h"

namespace ramp::router {

class RouteState {
 public:
  // routesFile empty: nothing is persisted (standalone mode).
  RouteState(DataPlane& plane, std::filesystem::path routesFile);

  Status load();
  Result<nlohmann::json> ensureEntrypoint(const std::string& name, int port);
  Result<nlohmann::json> setSplit(const std::string& name, const nlohmann::json& body);
  Result<nlohmann::json> describe(const std::string& name) const;
  nlohmann::json list() const;
  Status remove(const std::string& name);

  // {"started_at":..,"fleets":[...]} for one entry point or all.
  nlohmann::json stats(const std::optional<std::string>& entrypoint) const;
  std::string prometheus() const;

  const RouteTable& table() const { return table_; }

 private:
  Status persist(const RouteTable& t);
  void retryBinds();

  DataPlane& plane_;
  std::filesystem::path file_;
  RouteTable table_;
  std::map<std::string, std::string> listenErrors_;
  boost::asio::steady_timer retry_;
  std::string startedAt_;
};

}  // namespace ramp::router
