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
//
// Leases (RouteTable.h): a split with lease_ms is held for that long after
// it was applied, re-sent unchanged, or renewed (renewLease). When it runs
// out the router, on its own, applies RouteTable::fallbackSplit (stable at
// 100, the others at 0, no pin), records the lease as "expired" with the
// split it held, persists that, logs a warning and counts it
// (ramp_router_lease_expirations_total). Deadlines run on the monotonic
// clock; the wall-clock expiry is persisted so a restarted router keeps the
// remaining time (never more than lease_ms) and expires a lease that ran
// out while it was down as soon as it has loaded. A failed write never
// stops an expiry: the data plane falls back first, the file follows.
//
// Counter epochs: `countersEpoch()` is a random id chosen when the router
// starts; every fleet's counters carry "<router id>-<n>", a new n each
// time its counters start from zero (router start, entry point deleted and
// made again). Readers compare it between snapshots: a changed id means a
// reset (count from the new values), an unchanged id with smaller numbers
// would be a bug.
//
// TLS: an entry point with certificates serves HTTPS only. Certificate
// files are checked every 2 s (size, mtime) and reloaded when they change;
// a reload that fails keeps the previous certificates and is reported in
// GET .../entrypoints/{name} as tls_error. A router that starts with
// unloadable certificates does not listen on that entry point (listen_error)
// and retries every second.
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
#include "router/TlsCertificates.h"

namespace ramp::router {

class RouteState {
 public:
  // routesFile empty: nothing is persisted (standalone mode).
  RouteState(DataPlane& plane, std::filesystem::path routesFile);

  Status load();
  // PUT .../entrypoints/{name}: made (listening) if new; `limits` / `tls`
  // given replace the current ones (absent: kept). TLS files are loaded and
  // checked before anything changes (kInvalid naming the field).
  Result<nlohmann::json> ensureEntrypoint(const std::string& name, int port,
                                          const std::optional<EntrypointLimits>& limits = std::nullopt,
                                          const std::optional<std::optional<TlsSettings>>& tls = std::nullopt);
  // Reloads every entry point's certificates now (SIGHUP); new handshakes
  // use them, open connections keep theirs. Files that fail to load leave
  // the previous certificates in place (reported as tls_error).
  void reloadTls(bool onlyChanged = false);
  Result<nlohmann::json> setSplit(const std::string& name, const nlohmann::json& body);
  // POST .../lease {"epoch":E}: the held lease runs lease_ms from now.
  // kConflict when the epoch is stale (where "epoch"), when the split has no
  // lease or it has already run out (where "lease": re-send the split).
  Result<nlohmann::json> renewLease(const std::string& name, const nlohmann::json& body);
  Result<nlohmann::json> describe(const std::string& name) const;
  nlohmann::json list() const;
  Status remove(const std::string& name);

  // {"started_at":..,"fleets":[...]} for one entry point or all.
  nlohmann::json stats(const std::optional<std::string>& entrypoint) const;
  std::string prometheus() const;

  const RouteTable& table() const { return table_; }
  const std::string& countersEpoch() const { return countersEpoch_; }

 private:
  Status persist(const RouteTable& t);
  void retryBinds();
  // TLS certificates + listener for one entry point of table_ (load, retry).
  Status bringUp(const std::string& name, const EntrypointRoute& ep);
  void pollTls();
  // Arms the lease deadline of `name` from its record (held leases only).
  void armLease(const std::string& name, const LeaseRecord& lease);
  void scheduleLeaseTimer();
  void expireLease(const std::string& name);
  nlohmann::json leaseJson(const std::string& name, const LeaseRecord& lease) const;

  DataPlane& plane_;
  std::filesystem::path file_;
  RouteTable table_;
  std::map<std::string, std::string> listenErrors_;
  boost::asio::steady_timer retry_;
  boost::asio::steady_timer leaseTimer_;
  boost::asio::steady_timer tlsTimer_;
  std::map<std::string, std::shared_ptr<TlsCertificates>> tls_;
  std::map<std::string, std::string> tlsErrors_;
  std::map<std::string, MonoTime> leaseDeadlines_;  // held leases
  std::map<std::string, uint64_t> leaseExpirations_;
  std::string startedAt_;
  std::string countersEpoch_;
};

}  // namespace ramp::router
