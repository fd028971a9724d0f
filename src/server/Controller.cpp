#include "server/Controller.h"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/Clock.h"
#include "core/ControllerLife.h"
#include "core/HeapArenas.h"
#include "core/Home.h"
#include "core/Sha256.h"
#include "core/Site.h"
#include "engine/ApprovalRequest.h"
#include "engine/Engine.h"
#include "providers/local/LocalFleetProvider.h"
#include "providers/local/ProcessIdentity.h"
#include "providers/local/RouterTrafficProvider.h"
#include "providers/local/SandboxedCommand.h"
#include "providers/ProviderSet.h"
#include "release/ReleaseStore.h"
#include "router/RouterProcess.h"
#include "server/ApiServer.h"
#include "alerts/CurlWebhookSender.h"
#include "alerts/SnsAlertPublisher.h"
#include "alerts/OutboxSender.h"
#include "server/AuditRoutes.h"
#include "server/CatalogOverReleaseStore.h"
#include "store/AuditSeal.h"
#include "server/ForwardRequest.h"
#include "server/ControlRoutes.h"
#include "server/InfraRoutes.h"
#include "server/PipelineRoutes.h"
#include "server/ConfigRoutes.h"
#include "server/DeployRequestFields.h"
#include "server/DeploymentJson.h"
#include "record/ConfigOfRecord.h"
#include "server/StatusJson.h"
#include "server/StructuredLog.h"
#include "server/DeploymentScope.h"
#include "server/Identity.h"
#include "server/IdentityRoutes.h"
#include "server/DashboardRoutes.h"
#include "server/DeploymentProgress.h"
#include "server/FleetSeries.h"
#include "server/SeriesRoutes.h"
#include "server/MetricsFeed.h"
#include "server/MetricsRegistry.h"
#include "server/MetricsRoutes.h"
#include "server/StatsRoutes.h"
#include "store/Store.h"
#include "store/StoreLocation.h"

namespace ramp::server {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// JSON lines unless stderr is a terminal (server/StructuredLog.h).
void logLine(const std::string& msg, const LogContext& ctx = {}) { StructuredLog::controller().info(msg, ctx); }

// The API's deployment (DeploymentJson.h) with its progress now
// (DeploymentProgress.h).
json deploymentWithProgress(const engine::Deployment& d) {
  json j = deploymentJson(d);
  j["progress"] = progressOf(j, toUnixMillis(SystemClock::instance().now()));
  return j;
}

// Every status entry's deployment with its progress (DeploymentProgress.h).
json withProgress(json status, Clock& clock) {
  const int64_t now = toUnixMillis(clock.now());
  if (!status.is_array()) return status;
  for (auto& s : status) {
    if (s.is_object() && s.contains("deployment") && s["deployment"].is_object()) {
      s["deployment"]["progress"] = progressOf(s["deployment"], now);
    }
  }
  return status;
}

json eventJson(const store::AuditEvent& e) {
  return {{"seq", e.seq},         {"time", formatTime(fromUnixMillis(e.time))},
          {"actor", e.actor},     {"kind", e.kind},
          {"service", e.service}, {"env", e.env},
          {"deployment", e.deploymentId}, {"data", e.data},
          {"hash", e.hash}};
}

// GET /api/v1/events?deployment=&service=&env=&after=SEQ: the audit events
// the query names, oldest first (leaders and followers read the store alike).
// GET /api/v1/deployments' query: service and env (empty = any), limit 1..1000 (default 50).
Result<store::DeploymentFilter> deploymentsAsked(const ApiRequest& r) {
  store::DeploymentFilter f;
  if (r.query.contains("service") && !r.query.at("service").empty()) f.service = r.query.at("service");
  if (r.query.contains("env") && !r.query.at("env").empty()) f.env = r.query.at("env");
  auto limit = queryNumber(r, "limit", 1, 1000, 50);
  if (!limit) return std::unexpected(limit.error());
  f.limit = static_cast<int>(*limit);
  return f;
}

Result<ApiResponse> eventsAsked(store::Store& st, const ApiRequest& r) {
  store::AuditFilter f;
  if (r.query.contains("deployment")) f.deploymentId = r.query.at("deployment");
  if (r.query.contains("service")) f.service = r.query.at("service");
  if (r.query.contains("env")) f.env = r.query.at("env");
  if (r.query.contains("after")) {
    auto after = queryNumber(r, "after", 0, INT64_MAX, 0);
    if (!after) return std::unexpected(after.error());
    f.afterSeq = *after;
  }
  auto evs = st.listEvents(f);
  if (!evs) return std::unexpected(evs.error());
  json arr = json::array();
  for (auto& e : *evs) arr.push_back(eventJson(e));
  return ApiResponse{200, arr};
}

std::string osUser() {
  if (struct passwd* pw = getpwuid(getuid()); pw && pw->pw_name) return pw->pw_name;
  const char* u = std::getenv("USER");
  if (u && *u) return u;
  return "uid" + std::to_string(getuid());
}

std::string hostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

// The lease owner names the process: "host|home|pid|starttime|nonce".
std::string leaseOwner(const fs::path& home) {
  auto self = providers::ProcessIdentity::self();
  return fmt::format("{}|{}|{}|{}|{}", hostName(), home.string(), self.pid, self.startTime, randomHex(4));
}

// True when `owner` is a controller of this home on this host whose process
// is gone (killed, crashed): its lease may be taken over at once instead of
// waiting for it to expire. Pid reuse is ruled out by the start time.
bool ownerIsDeadHere(const std::string& owner, const fs::path& home) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= owner.size()) {
    size_t bar = owner.find('|', i);
    if (bar == std::string::npos) bar = owner.size();
    parts.push_back(owner.substr(i, bar - i));
    i = bar + 1;
  }
  if (parts.size() != 5 || parts[0] != hostName() || parts[1] != home.string()) return false;
  providers::ProcessIdentity who;
  try {
    who.pid = std::stoll(parts[2]);
    who.startTime = std::stoull(parts[3]);
  } catch (...) {
    return false;
  }
  return who.valid() && !who.alive();
}

Result<store::Lease> takeLease(store::Store& st, const fs::path& home, const std::string& owner,
                               std::chrono::milliseconds ttl, Clock& clock) {
  auto lease = st.acquireLease("controller", owner, ttl.count(), toUnixMillis(clock.now()));
  if (lease) return lease;
  auto held = st.getLease("controller");
  if (!held || !*held || !ownerIsDeadHere((*held)->owner, home)) return lease;
  // The holder was a controller of this home whose process is dead: free its
  // lease (only if it still holds it at that epoch) and take it, epoch + 1.
  if (auto r = st.releaseLease("controller", (*held)->owner, (*held)->epoch); !r) return std::unexpected(r.error());
  logLine(fmt::format("took over the lease of dead controller {} (epoch {})", (*held)->owner, (*held)->epoch));
  return st.acquireLease("controller", owner, ttl.count(), toUnixMillis(clock.now()));
}


std::string baseUrl(const ControllerOptions& opt, const std::string& address) {
  return (opt.tlsCertFile.empty() ? "http://" : "https://") + address;
}

// Bearer tokens are checked against the store on every request
// (server/Identity.h): a revoked token is refused at once.
ApiServer::Authenticator authenticator(store::Store& st, Clock& clock) {
  auto identity = std::make_shared<Identity>(st, clock);
  return [identity](const std::string& tok) -> Result<Principal> { return identity->authenticate(tok); };
}

// POST /api/v1/deployments needs deployer in the body's env, and hotfix
// there too when the body says "hotfix": true.
Access deployAccess() {
  return Access::custom("deployer in the body's env (+ hotfix when \"hotfix\": true)",
                        [](const ApiRequest& r) -> Result<std::vector<Need>> {
                          auto base = Access::bodyEnv("deployer").needs(r);
                          if (!base) return base;
                          if (r.body.contains("hotfix") && r.body["hotfix"].is_boolean() &&
                              r.body["hotfix"].get<bool>()) {
                            base->push_back(Need{"hotfix", base->front().env});
                          }
                          return base;
                        });
}

// GET /api/v1/events/stream: the audit events as server-sent events, read
// from the store every 100 ms (?after=SEQ, ?env=, ?service=, ?deployment=).
// Leader and followers share the store, so both serve it themselves (a
// follower does not forward a stream that may last an hour).
void addEventStream(ApiServer& api, store::Store& st, const std::atomic<bool>& stop) {
  api.stream("/api/v1/events/stream", ofEventQuery(st, "viewer"), [&st, &stop](const ApiRequest& r, const StreamWriter& write,
                                          const std::atomic<bool>& stopping) {
    int64_t after = 0;
    if (r.query.contains("after")) {
      try {
        after = std::stoll(r.query.at("after"));
      } catch (...) {
      }
    }
    for (int i = 0; i < 36000 && !stopping && !stop; ++i) {  // at most an hour per connection
      store::AuditFilter f;
      f.afterSeq = after;
      if (r.query.contains("deployment")) f.deploymentId = r.query.at("deployment");
      // The access rule granted ?env= (or the deployment's env): stream only that.
      if (r.query.contains("env") && !r.query.at("env").empty()) f.env = r.query.at("env");
      if (r.query.contains("service") && !r.query.at("service").empty()) f.service = r.query.at("service");
      auto evs = st.listEvents(f);
      if (evs) {
        for (auto& e : *evs) {
          after = std::max(after, e.seq);
          if (!write(fmt::format("id: {}\nevent: {}\ndata: {}\n\n", e.seq, e.kind, eventJson(e).dump()))) return;
        }
      }
      if (!write(": keep-alive\n\n")) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
}

// The address of the current leader, from the "leader" setting, checked
// against the live lease (a stale record of a dead leader is not used).
Result<std::string> leaderAddress(store::Store& st, Clock& clock) {
  auto lease = st.getLease("controller");
  if (!lease) return std::unexpected(lease.error());
  auto v = st.getSetting("leader");
  if (!v) return std::unexpected(v.error());
  if (!*lease || (*lease)->expiresAt <= toUnixMillis(clock.now()) || !*v) {
    return unavailable("no controller leads at the moment (a takeover is under way); retry in a few seconds",
                       "leader");
  }
  auto j = json::parse(**v, nullptr, false);
  if (!j.is_object() || j.value("epoch", int64_t{-1}) != (*lease)->epoch) {
    return unavailable("the leader at epoch " + std::to_string((*lease)->epoch) +
                           " has not published its address yet; retry in a few seconds",
                       "leader");
  }
  return j.value("address", std::string());
}

// Follower mode (controllers sharing a PostgreSQL store): serves reads from
// the store, forwards writes (and reads that need the providers) to the
// leader, and tries to take the lease every second. Returns the lease once
// held, or nullopt when asked to stop.
std::optional<store::Lease> follow(const ControllerOptions& opt, store::Store& st, const std::string& owner,
                                   std::atomic<bool>& stop, Clock& clock) {
  ApiServer api(authenticator(st, clock));
  api.route("GET", "/api/v1/health", Access::open(), [&](const ApiRequest&) -> Result<ApiResponse> {
    auto leader = leaderAddress(st, clock);
    return ApiResponse{200, {{"ok", true}, {"pid", getpid()}, {"role", "follower"},
                             {"leader", leader ? json(*leader) : json(nullptr)}}};
  });
  auto forward = [&](const ApiRequest& r) -> Result<ApiResponse> {
    auto leader = leaderAddress(st, clock);
    if (!leader) return std::unexpected(leader.error());
    return forwardRequest(*leader, r, std::chrono::milliseconds(15000));
  };
  // The same access as the leader's routes: checked here, and again by the
  // leader when forwarded.
  api.route("POST", "/api/v1/deployments", deployAccess(), forward);
  forwardPipelineRoutes(api, forward);
  record::ConfigOfRecord configRecord(st, clock);
  forwardConfigRoutes(api, configRecord, forward);
  forwardInfraRoutes(api, forward);
  api.route("POST", "/api/v1/rollback", Access::bodyEnv("deployer"), forward);
  api.route("POST", "/api/v1/control", Access::bodyEnv("deployer"), forward);
  api.route("POST", "/api/v1/down", Access::bodyEnv("admin"), forward);
  api.route("POST", "/api/v1/audit/seal", Access::global("admin"), forward);
  api.route("GET", "/api/v1/status", Access::queryEnv("viewer"), forward);
  api.route("GET", "/api/v1/releases", Access::custom("viewer in some env", [](const ApiRequest&) {
              return Result<std::vector<Need>>(std::vector<Need>{{"viewer", ""}});
            }),
            forward);
  api.route("GET", "/api/v1/audit", ofEventQuery(st, "viewer"), forward);
  addEventStream(api, st, stop);
  api.route("GET", "/api/v1/audit/verify", Access::global("viewer"), forward);
  // The fleets' series are sampled by the leader (it talks to the data plane).
  api.route("GET", "/api/v1/deployments/{id}/series", ofDeploymentParam(st, "viewer"), forward);
  for (const char* path : {"/api/v1/users", "/api/v1/tokens"}) {
    api.route("GET", path, Access::global("admin"), forward);
    api.route("POST", path, Access::global("admin"), forward);
  }
  for (const char* path : {"/api/v1/users/{name}/disable", "/api/v1/users/{name}/grant",
                           "/api/v1/users/{name}/revoke-role", "/api/v1/tokens/{id}/revoke"}) {
    api.route("POST", path, Access::global("admin"), forward);
  }
  api.route("GET", "/api/v1/deployments", Access::queryEnv("viewer"), [&](const ApiRequest& r) -> Result<ApiResponse> {
    auto f = deploymentsAsked(r);
    if (!f) return std::unexpected(f.error());
    auto recs = st.listDeployments(*f);
    if (!recs) return std::unexpected(recs.error());
    json arr = json::array();
    for (auto& rec : *recs) {
      auto d = engine::Deployment::fromRecord(rec.id, rec.service, rec.env, rec.state, rec.revision, rec.doc);
      if (d) arr.push_back(deploymentWithProgress(*d));
    }
    return ApiResponse{200, arr};
  });
  api.route("GET", "/api/v1/deployments/{id}", ofDeploymentParam(st, "viewer"), [&](const ApiRequest& r) -> Result<ApiResponse> {
    auto rec = st.getDeployment(r.params[0]);
    if (!rec) return deploymentLookupFailed(rec.error(), r.params[0]);
    auto d = engine::Deployment::fromRecord(rec->id, rec->service, rec->env, rec->state, rec->revision, rec->doc);
    if (!d) return std::unexpected(d.error());
    return ApiResponse{200, deploymentWithProgress(*d)};
  });
  api.route("GET", "/api/v1/events", ofEventQuery(st, "viewer"),
            [&](const ApiRequest& r) { return eventsAsked(st, r); });
  auto address = api.start(opt.listenHost, opt.listenPort, ApiServer::Tls{opt.tlsCertFile, opt.tlsKeyFile});
  if (!address) {
    logLine(address.error().describe());
    return std::nullopt;
  }
  (void)writeFileAtomic(opt.home / "controller.json",
                        json{{"address", *address}, {"url", baseUrl(opt, *address)}, {"pid", getpid()}, {"role", "follower"},
                             {"started_at", formatTime(clock.now())}, {"store", st.kind()}}
                            .dump());
  logLine("following; serving reads on " + baseUrl(opt, *address) +
          " and taking the lease as soon as the leader's runs out");
  std::optional<store::Lease> held;
  while (!stop) {
    auto lease = takeLease(st, opt.home, owner, opt.leaseTtl, clock);
    if (lease) {
      held = *lease;
      break;
    }
    // Try again once the holder's lease runs out (a leader on another host
    // is replaced as soon as its lease expires), else in a second.
    int64_t waitMs = 1000;
    if (auto cur = st.getLease("controller"); cur && *cur) {
      waitMs = std::clamp<int64_t>((*cur)->expiresAt - toUnixMillis(clock.now()) + 20, 20, 1000);
    }
    auto until = clock.monotonic() + std::chrono::milliseconds(waitMs);
    while (!stop && clock.monotonic() < until) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  api.stop();
  return held;
}

}  // namespace

int runController(const ControllerOptions& options, std::atomic<bool>& stop) {
  boundHeapArenas();  // before any thread (core/HeapArenas.h)
  auto& clock = SystemClock::instance();
  ControllerOptions opt = options;
  if (auto st = ensureHome(opt.home); !st) {
    logLine(st.error().describe());
    return 1;
  }
  if (auto t = ApiServer::checkTls(ApiServer::Tls{opt.tlsCertFile, opt.tlsKeyFile}); !t) {
    logLine(t.error().describe());
    return 1;
  }
  auto url = store::storeUrlOf(opt.home, opt.storeUrl);
  if (!url) {
    logLine("cannot tell which store to open: " + url.error().describe());
    return 1;
  }
  // Alive from here on, for whoever checks (the CLI, the router's watch);
  // the kernel ends it with the process, however it ends. Refused while a
  // controller of this home lives on another store.
  auto life = ControllerLife::hold(opt.home, *url);
  if (!life) {
    logLine("not starting: " + life.error().describe());
    return 1;
  }
  if (!opt.supervisedArgv.empty()) {
    if (auto s = life->supervise(opt.supervisedArgv); !s) logLine("cannot record supervision: " + s.error().describe());
  }
  auto storeR = store::openStore(*url);
  if (!storeR) {
    logLine("cannot open the store: " + storeR.error().describe());
    return 1;
  }
  // Every command run in this home opens the same store from now on.
  if (!opt.storeUrl.empty()) {
    if (auto r = store::recordStoreUrl(opt.home, opt.storeUrl); !r) logLine("cannot record the store URL: " + r.error().describe());
  }
  auto& st = **storeR;
  if (opt.leaseTtl.count() == 0) opt.leaseTtl = defaultLeaseTtl(st.kind());

  // The audit chain's head is sealed with the world's key, never in the
  // store: a controller given another key (or none, on a sealed world)
  // must not lead — it could neither seal nor tell a forged seal.
  store::AuditSeal seal(opt.home, clock, opt.auditKeyFile);
  if (auto k = seal.checkKey(st); !k) {
    logLine("not leading: " + k.error().describe());
    return 1;
  }

  std::string owner = leaseOwner(opt.home);
  auto lease = takeLease(st, opt.home, owner, opt.leaseTtl, clock);
  if (!lease) {
    if (st.kind() != "postgresql") {
      // Say where the one that holds it serves (its controller.json).
      std::string where;
      if (auto cur = readFile(opt.home / "controller.json", 1 << 16)) {
        auto j = json::parse(*cur, nullptr, false);
        if (j.is_object() && j.contains("url") && j["url"].is_string()) {
          where = fmt::format(" at {} (dashboard {}/, pid {})", j["url"].get<std::string>(), j["url"].get<std::string>(),
                              j.value("pid", 0));
        }
      }
      logLine("another controller already serves this world" + where + ": " + lease.error().describe());
      return 1;
    }
    // A shared store: follow until the leader goes away.
    logLine("another controller leads: " + lease.error().describe());
    auto held = follow(opt, st, owner, stop, clock);
    if (!held) {
      if (stop) life->unsupervise();
      logLine("stopped");
      return stop ? 0 : 1;
    }
    lease = *held;
    // The key may have been checked before the log was ever sealed.
    if (auto k = seal.checkKey(st); !k) {
      logLine("not leading: " + k.error().describe());
      (void)st.releaseLease("controller", owner, lease->epoch);
      return 1;
    }
  }
  logLine(fmt::format("holding the controller lease at epoch {}", lease->epoch));

  Identity identity(st, clock);
  auto token = identity.ensureAdmin(opt.home, osUser());
  if (!token) {
    logLine("cannot set up the admin token: " + token.error().describe());
    return 1;
  }
  if (!*token) {
    logLine("this home has no admin.token and the world's first admin was set up by another controller: no second "
            "admin token is made; give this home's CLI a token (`ramp token create` where one works, then --token, "
            "$RAMP_TOKEN or " + (opt.home / "admin.token").string() + ")");
  }

  auto site = Site::of(opt.home);
  if (!site) {
    logLine("cannot read this home's site: " + site.error().describe());
    return 1;
  }
  providers::LocalFleetOptions localOptions;
  localOptions.instanceUser = opt.instanceUser;
  providers::LocalFleetProvider fleets(opt.home, opt.rampBinary, clock, localOptions);
  for (const auto& line : fleets.adoptionReport()) logLine(line);
  providers::RouterTrafficProvider traffic(opt.home, opt.rampBinary);
  // Routes each environment to its provider (local or aws) by its config,
  // as recorded in the store; local environments of another site are left
  // to that site's controller.
  providers::ProviderSet providerSet(st, *site, opt.home, fleets, traffic, traffic, clock);
  // This home's router serves this site's local environments: started now
  // when there are any (or in a one-home world), else on first use — a
  // controller of another host never starts a router for environments that
  // are not its own (their entry points stay where they are).
  auto runsRouter = [&] { return st.kind() == "sqlite" || providerSet.hasLocalEnvironmentsHere(); };
  int64_t routerPid = 0;
  if (runsRouter()) {
    auto router = router::ensureRouterRunning(opt.home, opt.rampBinary, std::chrono::milliseconds(10000));
    if (!router) {
      logLine("cannot start the router: " + router.error().describe());
      return 1;
    }
    routerPid = router->pid;
  }
  release::ReleaseStore releaseStore(opt.home, st, clock);
  CatalogOverReleaseStore catalog(releaseStore);

  engine::EngineOptions eo;
  eo.owner = "ramp";
  eo.fence = store::Fence{"controller", lease->epoch};
  // The lease is renewed every TTL/3; act only while the last renewal is
  // younger than 2/3 of the TTL, so a controller frozen (or cut off from the
  // store) stops acting well before another can take the lease over.
  // Shared, not a local: the fleet supervision thread holds the gate.
  auto lastRenewNs = std::make_shared<std::atomic<int64_t>>(clock.monotonic().time_since_epoch().count());
  eo.mayAct = [lastRenewNs, &clock, ttl = opt.leaseTtl]() -> Status {
    auto since = clock.monotonic().time_since_epoch().count() - lastRenewNs->load();
    auto limit = std::chrono::duration_cast<std::chrono::nanoseconds>(ttl * 2 / 3).count();
    if (since <= limit) return ok();
    return conflict(fmt::format("the controller lease was last renewed {} ms ago (limit {} ms): not acting until "
                                "it is renewed",
                                since / 1000000, limit / 1000000),
                    "lease");
  };
  eo.mayActOn = [&providerSet](const std::string& service, const std::string& env) {
    return providerSet.canAct(service, env);
  };
  // Deployments advance side by side: a slow phase (a smoke test, a
  // provider's rate-limit wait) holds one worker, never the others nor the
  // API; entry points are swept every 2 s besides.
  eo.workers = 8;
  eo.sweepEvery = std::chrono::seconds(2);
  // Instance supervision (replacing dead instances) is acting too.
  // CloudWatch alarms named in environment.aws.alarms are rollback triggers.
  eo.alarms = &providerSet;
  // Smoke tests are code from the configuration: sandboxed like instances.
  providers::SandboxedCommand smokeTests(opt.home, opt.instanceUser);
  eo.runCommand = [&smokeTests](const std::string& command, const std::map<std::string, std::string>& env,
                                std::chrono::milliseconds timeout) { return smokeTests.run(command, env, timeout); };
  // The config of record: every deployment, promotion and auto-promotion is
  // rendered from the version in force (record/ConfigOfRecord.h).
  record::ConfigOfRecord configRecord(st, clock);
  eo.renderStage = [&configRecord](engine::DeployRequest& req) { return configRecord.fill(req); };
  fleets.setActGate(eo.mayAct);
  fleets.start();
  engine::Engine engine(st, providerSet, providerSet, providerSet, catalog, clock, eo);
  // Alerts are written with their events into the store's outbox (one
  // transaction); this leader sends them, signed, on its own thread
  // (alerts/OutboxSender.h), and a leader after it sends what it left.
  alerts::CurlWebhookSender webhookSender;
  alerts::SnsAlertPublisher snsPublisher;  // no AWS call until an sns alert is sent
  alerts::OutboxSender alertSender(st, webhookSender, &snsPublisher, clock, opt.home, lease->epoch);
  alertSender.setActGate(eo.mayAct);
  alertSender.start();
  std::string lastSealError;

  std::atomic<bool> downRequested{false};
  std::atomic<bool> downAnswered{false};  // the `down` handler has finished (answer on its way)
  std::mutex tickMu;  // held while the engine ticks
  std::mutex sealMu;  // one writer of the seal file at a time (tick, POST /audit/seal)
  ApiServer api(authenticator(st, clock));
  // What the providers must know before a deployment or promotion is
  // submitted: the environment's provider and, on aws, every region's
  // settings (each wave's rendered config carries its region's network).
  // On aws the infrastructure the deployment rides on (`ramp apply`) must
  // exist in every region first: refused naming what is missing and the
  // command that makes it.
  std::function<Status(const engine::DeployRequest&)> learnProviders =
      [&providerSet](const engine::DeployRequest& req) -> Status {
    if (auto l = providerSet.learn(req.service, req.env, req.rendered); !l) return l;
    std::vector<std::string> regions;
    if (req.rendered.is_object() && req.rendered.contains("region") && req.rendered["region"].is_string()) {
      regions.push_back(req.rendered["region"].get<std::string>());
    }
    for (const auto& w : req.waves) {
      if (auto l = providerSet.learn(req.service, req.env, w.rendered); !l) return l;
      if (std::find(regions.begin(), regions.end(), w.region) == regions.end()) regions.push_back(w.region);
    }
    return providerSet.verifyInfrastructure(req.service, req.env, regions);
  };

  api.route("GET", "/api/v1/health", Access::open(), [](const ApiRequest&) -> Result<ApiResponse> {
    return ApiResponse{200, {{"ok", true}, {"pid", getpid()}, {"role", "leader"}}};
  });

  api.route("POST", "/api/v1/deployments", deployAccess(), [&](const ApiRequest& r) -> Result<ApiResponse> {
    // A request names what to deploy; the rules it is judged by come from
    // the config of record (server/DeployRequestFields.h).
    if (auto s = refuseComputedFields(r.body, {"service", "env", "region", "version", "strategy", "hotfix", "reason",
                                               "queue", "rollback_all_regions"});
        !s) {
      return std::unexpected(s.error());
    }
    engine::DeployRequest req;
    auto named = requireStrings(r.body, {"service", "env", "version"});
    if (!named) return std::unexpected(named.error());
    auto strategy = optionalString(r.body, "strategy");
    if (!strategy) return std::unexpected(strategy.error());
    const auto& [service, env, version] = *named;
    req.service = service;
    req.env = env;
    req.version = version;
    req.strategy = *strategy;
    if (auto o = readDeployOptions(r, req); !o) return std::unexpected(o.error());
    if (auto f = configRecord.fill(req); !f) return std::unexpected(f.error());
    if (auto c = checkStrategyOverride(req); !c) return std::unexpected(c.error());
    if (auto l = learnProviders(req); !l) return std::unexpected(l.error());
    auto d = engine.submit(req);
    if (!d) return std::unexpected(d.error());
    logLine(fmt::format("deployment {} of {} {} to {} submitted by {} (config version {})", d->id, d->service,
                        d->version, d->env, r.actor, d->configVersion),
            {d->id, d->service, d->env});
    return ApiResponse{201, deploymentWithProgress(*d)};
  });

  api.route("GET", "/api/v1/deployments", Access::queryEnv("viewer"), [&](const ApiRequest& r) -> Result<ApiResponse> {
    auto f = deploymentsAsked(r);
    if (!f) return std::unexpected(f.error());
    auto list = engine.list(f->service, f->env, f->limit);
    if (!list) return std::unexpected(list.error());
    json arr = json::array();
    for (auto& d : *list) arr.push_back(deploymentWithProgress(d));
    return ApiResponse{200, arr};
  });

  api.route("GET", "/api/v1/deployments/{id}", ofDeploymentParam(st, "viewer"), [&](const ApiRequest& r) -> Result<ApiResponse> {
    auto d = engine.get(r.params[0]);
    if (!d) return deploymentLookupFailed(d.error(), r.params[0]);
    return ApiResponse{200, deploymentWithProgress(*d)};
  });

  api.route("GET", "/api/v1/status", Access::queryEnv("viewer"), [&](const ApiRequest& r) -> Result<ApiResponse> {
    std::optional<std::string> service, env;
    if (r.query.contains("service") && !r.query.at("service").empty()) service = r.query.at("service");
    if (r.query.contains("env") && !r.query.at("env").empty()) env = r.query.at("env");
    auto s = engine.status(service, env);
    if (!s) return std::unexpected(s.error());
    return ApiResponse{200, withProgress(statusJson(*s), clock)};
  });

  api.route("POST", "/api/v1/rollback", Access::bodyEnv("deployer"), [&](const ApiRequest& r) -> Result<ApiResponse> {
    if (auto s = onlyFields(r.body, {"service", "env", "comment"}); !s) return std::unexpected(s.error());
    auto comment = optionalString(r.body, "comment");  // why, recorded with the rollback
    if (!comment) return std::unexpected(comment.error());
    auto named = requireStrings(r.body, {"service", "env"});
    if (!named) return std::unexpected(named.error());
    const auto& [service, env] = *named;
    auto d = engine.rollback(service, env, r.actor, comment->value_or(""));
    if (!d) return std::unexpected(d.error());
    logLine(fmt::format("rollback of {} in {} requested by {}: {}", service, env, r.actor, d->id), {d->id, service, env});
    return ApiResponse{202, deploymentWithProgress(*d)};
  });

  addControlRoutes(api, engine);
  addPipelineRoutes(api, engine, configRecord, learnProviders);
  addConfigRoutes(api, configRecord);
  addInfraRoutes(api, st, opt.home, opt.rampBinary, clock, &configRecord,
                 [&providerSet] { providerSet.infrastructureChanged(); });
  addAuditRoutes(api, st, seal, [&]() -> Status {
    std::lock_guard sealLock(sealMu);
    return seal.update(st);
  });
  addIdentityRoutes(api, identity, st, clock);
  MetricsRegistry metricsRegistry;
  MetricsFeed metrics(st, metricsRegistry);
  addMetricsRoutes(api, metrics);
  addStatsRoutes(api, st, releaseStore, clock);
  addDashboardRoutes(api, st, configRecord);
  // The fleets' live time series (the dashboard's charts), sampled from the
  // data plane every second by its own thread while deployments run.
  FleetSeries fleetSeries(st, providerSet, providerSet, clock);
  addSeriesRoutes(api, st, fleetSeries, stop);
  // Joined when it goes out of scope (every return below), before the series.
  std::jthread sampler([&](std::stop_token done) {
    while (!stop && !done.stop_requested()) {
      if (!downRequested) (void)fleetSeries.sampleActive();
      for (int i = 0; i < 10 && !stop && !done.stop_requested(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  });

  api.route("GET", "/api/v1/releases", Access::custom("viewer in some env", [](const ApiRequest&) {
              return Result<std::vector<Need>>(std::vector<Need>{{"viewer", ""}});
            }),
            [&](const ApiRequest& r) -> Result<ApiResponse> {
    std::optional<std::string> service;
    if (r.query.contains("service") && !r.query.at("service").empty()) service = r.query.at("service");
    auto list = releaseStore.list(service);
    if (!list) return std::unexpected(list.error());
    json arr = json::array();
    for (auto& rel : *list) arr.push_back(rel.toApiJson());
    return ApiResponse{200, arr};
  });

  api.route("GET", "/api/v1/events", ofEventQuery(st, "viewer"),
            [&](const ApiRequest& r) { return eventsAsked(st, r); });

  addEventStream(api, st, stop);

  api.route("POST", "/api/v1/down", Access::bodyEnv("admin"), [&](const ApiRequest& r) -> Result<ApiResponse> {
    if (auto s = onlyFields(r.body, {"env"}); !s) return std::unexpected(s.error());
    auto env = optionalString(r.body, "env");
    if (!env) return std::unexpected(env.error());
    // The main loop stops serving only once this handler is done (retiring
    // cloud fleets can take a while), so the answer always reaches the client.
    struct Answered {
      std::atomic<bool>& flag;
      bool whole;
      ~Answered() {
        if (whole) flag = true;
      }
    } answered{downAnswered, !*env};
    if (!*env) {
      // Stopped on purpose: the router must not bring this controller back.
      life->unsupervise();
      // Stop ticking first: a tick would otherwise restart the router we stop
      // (and so would a sample of the fleets' series).
      downRequested = true;
      fleetSeries.stopSampling();
      std::lock_guard tickLock(tickMu);  // waits for a tick in progress to end
      engine.stop();                     // and for the phases its workers run
    }
    std::vector<std::string> skipped;
    // Always ends: fleets that cannot be retired are named (a later `ramp
    // down` tries them again); the router and controller stop anyway.
    auto report = engine.retireAll(*env, r.actor, &skipped);
    if (!report) return std::unexpected(report.error());
    for (const auto& why : skipped) logLine("down by " + r.actor + ": left alone: " + why);
    json problems = report->problems;
    if (!*env) {
      if (auto s = router::stopRouter(opt.home, std::chrono::milliseconds(5000)); !s) {
        problems.push_back("router: " + s.error().describe());
      }
    }
    logLine(fmt::format("down{} by {}: {} fleet(s) retired{}", *env ? " " + **env : "", r.actor, report->retired,
                        problems.empty() ? "" : fmt::format(", {} problem(s): {}", problems.size(), problems.dump())));
    return ApiResponse{200,
                       {{"fleets", report->retired}, {"problems", problems}, {"pid", getpid()}, {"skipped", skipped}}};
  });

  auto address = api.start(opt.listenHost, opt.listenPort, ApiServer::Tls{opt.tlsCertFile, opt.tlsKeyFile});
  if (!address) {
    logLine(address.error().describe());
    return 1;
  }
  if (auto w = writeFileAtomic(opt.home / "controller.json",
                               json{{"address", *address}, {"url", baseUrl(opt, *address)}, {"pid", getpid()}, {"role", "leader"},
                                    {"started_at", formatTime(clock.now())}, {"store", st.kind()}}
                                   .dump());
      !w) {
    logLine(w.error().describe());
    return 1;
  }
  logLine("serving the API on " + baseUrl(opt, *address) + " and the dashboard on " + baseUrl(opt, *address) + "/");
  // Followers forward writes here.
  if (auto w = st.putSetting("leader", json{{"address", *address}, {"epoch", lease->epoch}, {"owner", owner},
                                           {"pid", getpid()}}
                                          .dump());
      !w) {
    logLine("cannot publish the leader address: " + w.error().describe());
  }

  int rc = 0;
  auto lastError = std::string();
  // The lease is renewed by its own thread, every TTL/3, whatever the engine
  // is doing (a long smoke test or a slow provider call inside a tick must
  // not let the lease lapse). Losing it (kConflict: someone else holds it)
  // stops this controller; a store that does not answer is retried, and
  // mayAct() stops the engine from acting once the last renewal is too old.
  std::atomic<bool> leaseLost{false}, keeperStop{false};
  std::thread leaseKeeper([&] {
    auto lastRenew = clock.monotonic();
    while (!stop && !keeperStop && !leaseLost) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (clock.monotonic() - lastRenew <= opt.leaseTtl / 3) continue;
      auto r = st.renewLease("controller", owner, lease->epoch, opt.leaseTtl.count(), toUnixMillis(clock.now()));
      if (!r) {
        if (r.error().code == ErrorCode::kConflict) {
          logLine("lost the controller lease; stopping at once: " + r.error().describe());
          leaseLost = true;
          break;
        }
        logLine("renewing the controller lease: " + r.error().describe() + " (retrying)");
        lastRenew += std::chrono::milliseconds(200) - opt.leaseTtl / 3;  // retry in ~200 ms
        continue;
      }
      lastRenew = clock.monotonic();
      *lastRenewNs = lastRenew.time_since_epoch().count();
    }
  });
  // Canary weight leases (engine/WeightLease.h) are renewed by a thread of
  // their own too: a tick busy with another service must not let them run
  // out while this controller is alive and leads.
  std::thread weightLeaseKeeper([&] {
    std::string lastLeaseError;
    while (!stop && !keeperStop && !leaseLost) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      auto r = engine.renewLeases();
      std::string e = r ? std::string() : r.error().describe();
      if (!e.empty() && e != lastLeaseError) logLine("renewing weight leases: " + e);
      lastLeaseError = e;
    }
  });
  auto nextRouterLook = clock.monotonic();
  while (!stop) {
    if (leaseLost) {
      rc = 1;
      break;
    }
    std::unique_lock tickLock(tickMu);
    if (downRequested) break;
    if (clock.monotonic() >= nextRouterLook && runsRouter()) {
      // The router is brought back within a second, traffic to reconcile or
      // not: it watches this controller in turn (router/ControllerWatch.h).
      // Only this site's: a controller of another host runs no router for
      // environments that are not its own.
      nextRouterLook = clock.monotonic() + std::chrono::seconds(1);
      auto r = router::ensureRouterRunning(opt.home, opt.rampBinary, std::chrono::milliseconds(5000));
      if (!r) {
        logLine("the router is not running and could not be started: " + r.error().describe());
      } else if (r->pid != routerPid) {
        logLine(fmt::format("the router was not running; started it again (pid {} -> {})", routerPid, r->pid));
        routerPid = r->pid;
      }
    }
    auto tickStart = clock.monotonic();
    auto t = engine.tick();
    metrics.observeTick(std::chrono::duration<double>(clock.monotonic() - tickStart).count());
    tickLock.unlock();
    if (auto ce = configRecord.expirePending(); !ce) logLine("config changes: " + ce.error().describe());
    // Approved infrastructure changes left by a killed controller; expiry.
    if (auto ic = tickInfraChanges(st, opt.home, opt.rampBinary, clock); !ic) logLine("infra changes: " + ic.error().describe());
    Status sealed;
    {
      std::lock_guard sealLock(sealMu);
      sealed = seal.update(st);
    }
    if (!sealed) {
      if (sealed.error().describe() != lastSealError) logLine("audit seal: " + sealed.error().describe());
      lastSealError = sealed.error().describe();
    }
    if (!t) {
      if (t.error().describe() != lastError) logLine("tick: " + t.error().describe());
      lastError = t.error().describe();
    } else {
      lastError.clear();
    }
    std::this_thread::sleep_for(opt.tick);
  }
  if (downRequested) {
    for (int i = 0; i < 1200 && !downAnswered; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the answer reach the client
  }
  // Stopped on purpose (SIGTERM, down): not brought back. A controller that
  // lost its lease is: the one started again takes the lease over or follows.
  if (stop || downRequested) life->unsupervise();
  // The phases the engine's workers run end (a smoke test is cancelled) while
  // the lease is still renewed: nothing acts after the lease is given up.
  engine.stop();
  keeperStop = true;
  leaseKeeper.join();
  weightLeaseKeeper.join();
  sampler.request_stop();
  sampler.join();
  alertSender.stop();
  api.stop();
  fleets.stop();
  // A deposed leader must not remove the new leader's address file.
  if (auto cur = readFile(opt.home / "controller.json", 1 << 16)) {
    auto j = json::parse(*cur, nullptr, false);
    if (j.is_object() && j.value("pid", 0) == getpid()) {
      std::error_code ec;
      fs::remove(opt.home / "controller.json", ec);
    }
  }
  (void)st.releaseLease("controller", owner, lease->epoch);
  logLine("stopped");
  return rc;
}

}  // namespace ramp::server
