// ControllerBench — one controller's engine, store (SQLite or PostgreSQL) and
// API under many services and concurrent deployments, with instant in-memory
// providers, while ONE deployment sits in a slow smoke test (issue #20: one
// slow phase must not delay any other deployment nor the API). Reports:
//   - phase latency of every other deployment: for each phase change, the
//     time from when the phase could move (the deployment was created, the
//     previous phase was committed, the bake ended) to when its move was
//     committed (audit event times); overall and per event kind:phase;
//   - API latency p50/p99/max at a fixed request rate (GET status of a
//     service, GET a deployment), measured from each request's scheduled send
//     time (no coordinated omission), and of the write calls (POST
//     /api/v1/deployments that keep the deployments coming);
//   - engine tick time p50/p99 (the controller calls tick() every 100 ms,
//     and renewLeases() every 100 ms from another thread: so does this);
//   - resident memory every few seconds.
// The run, in three parts:
//   1. set-up (not measured): version 1 of every service, `--concurrent` at a
//      time, so that every later deployment is a real blue/green with a
//      previous fleet to switch from, bake beside and retire;
//   2. ramp (not measured): the stuck deployment, then `--concurrent`
//      deployments of the next version spread evenly over one bake, so that
//      their ends are spread too (not one wave of 1,000 every bake);
//   3. measured (`--seconds`): `--concurrent` deployments kept active (one
//      ends, the next starts), each with a `--bake` of its own, while the
//      API is read at `--rate`. The offered load is therefore set by the
//      deployments' own pace (about concurrent / bake deployments per
//      second), as in production; `--bake 0` (no wait anywhere) turns the
//      run into a saturation test whose phase latency is the queue that
//      any engine builds past its capacity (its figure is the throughput).
// Completion is followed through the audit log (the new events every
// 100 ms), not by reading every active deployment.
// Usage: controller_bench [--services N] [--concurrent N] [--rate R]
//                         [--seconds S] [--stuck-seconds S] [--bake S]
//                         [--store URL] [--workers N] [--sweep-ms MS]
//   --store: sqlite:// (default, in a temporary directory) or postgresql://...
//   --stuck-seconds 0: no stuck deployment. --bake: seconds (default 60).
//   --workers: EngineOptions::workers (default 8, as `ramp serve`; 0 = the
//     old single ticking thread); --sweep-ms: EngineOptions::sweepEvery
//     (default 2000, as `ramp serve`; 0 = every entry point on every tick).
#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "InMemoryProviders.h"
#include "core/Clock.h"
#include "core/HeapArenas.h"
#include "core/Sha256.h"
#include "engine/Engine.h"
#include "server/Access.h"
#include "server/ApiServer.h"
#include "server/StatusJson.h"
#include "store/SqlStore.h"
#include "store/Store.h"

using namespace ramp;
using nlohmann::json;
using Steady = std::chrono::steady_clock;

namespace {

const char* kStuckService = "svc-stuck";
std::atomic<bool> gStopping{false};  // the run is over: the stuck smoke test ends
const char* kStuckCommand = "bench: stuck smoke test";

class BenchReleases final : public engine::ReleaseCatalog {
 public:
  Result<engine::ReleaseRef> find(const std::string& service, const std::string& version) override {
    return engine::ReleaseRef{service, version, "sha256:" + std::string(64, 'a'), "/releases/" + version, 0};
  }
  Status verify(const engine::ReleaseRef&) override { return ok(); }
};

int gBakeSeconds = 60;

json rendered(const std::string& service) {
  json strategy{{"type", "bluegreen"}, {"bake", fmt::format("{}s", gBakeSeconds)}, {"deadline", "10s"}};
  if (service == kStuckService) strategy["smoke_test"] = kStuckCommand;
  return {{"service", service},
          {"env", "prod"},
          {"region", "local"},
          {"run", {{"command", "bin/svc"}, {"args", json::array()}, {"env", json::object()}}},
          {"health", {{"path", "/healthz"}, {"interval", "100ms"}, {"timeout", "500ms"}}},
          {"instances", 2},
          {"strategy", strategy}};
}

long rssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

size_t collect(char* p, size_t s, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, s * n);
  return s * n;
}

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

std::string summary(const std::vector<double>& v) {
  return fmt::format("n {}, p50 {:.1f} ms, p99 {:.1f} ms, max {:.1f} ms", v.size(), pct(v, 0.5), pct(v, 0.99),
                     pct(v, 1.0));
}

// One HTTP call; returns the status (0 = transport error) and the body.
struct Http {
  CURL* h = curl_easy_init();
  curl_slist* hdr = nullptr;
  explicit Http(const std::string& token) {
    hdr = curl_slist_append(hdr, ("Authorization: Bearer " + token).c_str());
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
  }
  ~Http() {
    curl_slist_free_all(hdr);
    curl_easy_cleanup(h);
  }
  long call(const std::string& method, const std::string& url, const std::string& body, std::string* out) {
    out->clear();
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 120000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (method == "POST") {
      curl_easy_setopt(h, CURLOPT_POST, 1L);
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    } else {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    return rc == CURLE_OK ? status : 0;
  }
};

}  // namespace

int main(int argc, char** argv) {
  boundHeapArenas();  // as `ramp serve` does (core/HeapArenas.h)
  int services = 10000, concurrent = 1000, rate = 500, seconds = 60, stuckSeconds = 60, workers = 8, sweepMs = 2000;
  std::string storeUrl, dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--services") services = std::atoi(argv[i + 1]);
    else if (a == "--concurrent") concurrent = std::atoi(argv[i + 1]);
    else if (a == "--rate") rate = std::atoi(argv[i + 1]);
    else if (a == "--seconds") seconds = std::atoi(argv[i + 1]);
    else if (a == "--stuck-seconds") stuckSeconds = std::atoi(argv[i + 1]);
    else if (a == "--bake") gBakeSeconds = std::atoi(argv[i + 1]);
    else if (a == "--store") storeUrl = argv[i + 1];
    else if (a == "--dir") dir = argv[i + 1];
    else if (a == "--workers") workers = std::atoi(argv[i + 1]);
    else if (a == "--sweep-ms") sweepMs = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown argument %s\n", argv[i]);
      return 1;
    }
  }
  if (dir.empty()) {
    char tmpl[] = "/tmp/ramp-ctl-bench.XXXXXX";
    dir = mkdtemp(tmpl);
  }
  if (storeUrl.empty()) storeUrl = "sqlite://" + dir + "/ramp.db";
  auto st = store::openStore(storeUrl);
  if (!st) {
    std::fprintf(stderr, "%s\n", st.error().describe().c_str());
    return 1;
  }
  auto& store = **st;
  std::string token = "bench-token-" + randomHex(4);
  (void)store.putSetting("token_sha256:admin", json{{"sha256", sha256Hex(token)}, {"user", "bench"}}.dump());

  bench::InMemoryProviders providers;
  BenchReleases releases;
  engine::EngineOptions options;
  options.workers = static_cast<size_t>(std::max(0, workers));
  options.sweepEvery = std::chrono::milliseconds(std::max(0, sweepMs));
  // The stuck deployment's smoke test takes --stuck-seconds; every other
  // command passes at once.
  options.runCommand = [stuckSeconds](const std::string& command, const std::map<std::string, std::string>&,
                                      std::chrono::milliseconds) -> Result<int> {
    if (command == kStuckCommand) {
      auto end = Steady::now() + std::chrono::seconds(stuckSeconds);
      while (Steady::now() < end && !gStopping) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return 0;
  };
  engine::Engine eng(store, providers, providers, providers, releases, SystemClock::instance(), options);

  // Like the controller: one store lookup per request (no token cache).
  server::ApiServer api([&](const std::string& tok) -> Result<server::Principal> {
    auto v = store.getSetting("token_sha256:admin");
    if (!v || !*v) return fail(ErrorCode::kUnauthenticated, "no tokens");
    auto j = json::parse(**v, nullptr, false);
    if (j.is_object() && j.value("sha256", "") == sha256Hex(tok)) {
      return server::Principal{"bench", "tok-bench", {{"*", {"viewer", "deployer"}}}};
    }
    return fail(ErrorCode::kUnauthenticated, "bad token", "Authorization");
  });
  api.route("GET", "/api/v1/deployments/{id}", server::Access::global("viewer"),
            [&](const server::ApiRequest& r) -> Result<server::ApiResponse> {
              auto d = eng.get(r.params[0]);
              if (!d) return std::unexpected(d.error());
              return server::ApiResponse{200, d->toDoc()};
            });
  api.route("GET", "/api/v1/status", server::Access::queryEnv("viewer"),
            [&](const server::ApiRequest& r) -> Result<server::ApiResponse> {
              auto s = eng.status(r.query.at("service"), r.query.at("env"));
              if (!s) return std::unexpected(s.error());
              return server::ApiResponse{200, server::statusJson(*s)};
            });
  api.route("POST", "/api/v1/deployments", server::Access::global("deployer"),
            [&](const server::ApiRequest& r) -> Result<server::ApiResponse> {
              engine::DeployRequest q;
              q.service = r.body.value("service", "");
              q.env = "prod";
              q.version = r.body.value("version", "");
              q.rendered = rendered(q.service);
              q.configDigest = "sha256:bench";
              q.actor = "bench";
              auto d = eng.submit(q);
              if (!d) return std::unexpected(d.error());
              return server::ApiResponse{201, {{"id", d->id}}};
            });
  auto address = api.start("127.0.0.1", 0);
  if (!address) {
    std::fprintf(stderr, "%s\n", address.error().describe().c_str());
    return 1;
  }
  const std::string base = "http://" + *address;

  std::atomic<bool> stop{false};
  std::mutex idsMu;
  std::deque<std::string> recentIds;
  std::atomic<long> completed{0}, submitted{0}, notSucceeded{0};
  std::atomic<bool> measuring{false};
  std::atomic<int64_t> measureStart{0};
  std::vector<double> tickMs, writeMs;
  std::mutex tickMu, writeMu;
  std::string stuckId;

  std::thread ticker([&] {
    while (!stop) {
      auto t0 = Steady::now();
      (void)eng.tick();
      double ms = std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
      if (measuring) {
        std::lock_guard l(tickMu);
        tickMs.push_back(ms);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  // Like the controller's lease keeper: every held weight lease renewed
  // from a thread of its own, every 100 ms.
  std::thread keeper([&] {
    while (!stop) {
      (void)eng.renewLeases();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  // The deployer: set-up, the stuck one, the ramp, then `concurrent` kept
  // active (each POST a write call, timed while measuring).
  std::thread deployer([&] {
    Http http(token);
    std::string out;
    std::set<std::string> active;
    int64_t afterSeq = 0;
    // The deployments that ended since the last look, from the audit log.
    auto reap = [&]() {
      for (;;) {
        store::AuditFilter f;
        f.afterSeq = afterSeq;
        f.kindPrefix = "deployment.";
        f.limit = 5000;
        auto page = store.listEvents(f);
        if (!page || page->empty()) return;
        afterSeq = page->back().seq;
        for (const auto& e : *page) {
          if (e.data.value("phase", "") != "done" || !active.erase(e.deploymentId)) continue;
          ++completed;
          if (e.data.value("state", "") != "succeeded") ++notSucceeded;
        }
      }
    };
    auto deploy = [&](const std::string& service, const std::string& version) -> bool {
      auto t0 = Steady::now();
      long code = http.call("POST", base + "/api/v1/deployments",
                            json{{"service", service}, {"version", version}}.dump(), &out);
      double ms = std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
      if (measuring) {
        std::lock_guard l(writeMu);
        writeMs.push_back(ms);
      }
      if (code != 201) return false;  // that service is still deploying: take the next one
      auto j = json::parse(out, nullptr, false);
      if (!j.is_object()) return false;
      ++submitted;
      active.insert(j.value("id", ""));
      std::lock_guard l(idsMu);
      recentIds.push_back(j.value("id", ""));
      if (recentIds.size() > 2000) recentIds.pop_front();
      return true;
    };
    // 1. Version 1 of every service.
    auto t0 = Steady::now();
    for (int n = 0; n < services && !stop;) {
      reap();
      while (static_cast<int>(active.size()) < concurrent && n < services && !stop) {
        deploy(fmt::format("svc{:05d}", n), "1.0.0");
        ++n;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    while (!active.empty() && !stop) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      reap();
    }
    std::fprintf(stderr, "set-up: version 1 of %d services in %.1f s (%ld not succeeded), rss %ld kB\n", services,
                 std::chrono::duration<double>(Steady::now() - t0).count(), notSucceeded.load(), rssKb());
    completed = 0;
    submitted = 0;
    notSucceeded = 0;
    // 2. The stuck one, then the ramp over one bake.
    if (stuckSeconds > 0) {
      long code = http.call("POST", base + "/api/v1/deployments",
                            json{{"service", kStuckService}, {"version", "1.0.0"}}.dump(), &out);
      auto j = json::parse(out, nullptr, false);
      if (code == 201 && j.is_object()) stuckId = j.value("id", "");
      std::fprintf(stderr, "stuck deployment: %s (%ld)\n", stuckId.c_str(), code);
    }
    long next = services;
    auto rampStart = Steady::now();
    auto rampLength = std::chrono::seconds(std::max(1, gBakeSeconds));
    for (int k = 0; k < concurrent && !stop; ++k) {
      std::this_thread::sleep_until(rampStart + rampLength * k / concurrent);
      reap();
      for (; !stop; ++next) {
        if (deploy(fmt::format("svc{:05d}", next % services), fmt::format("1.{}.0", next / services))) {
          ++next;
          break;
        }
      }
    }
    std::this_thread::sleep_until(rampStart + rampLength);
    std::fprintf(stderr, "ramp: %ld submitted, %ld completed, rss %ld kB\n", submitted.load(), completed.load(),
                 rssKb());
    measureStart = toUnixMillis(SystemClock::instance().now());
    measuring = true;
    // 3. Kept active.
    while (!stop) {
      reap();
      while (static_cast<int>(active.size()) < concurrent && !stop) {
        long n = next++;
        deploy(fmt::format("svc{:05d}", n % services), fmt::format("1.{}.0", n / services));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  while (!measuring) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const long submittedFrom = submitted.load(), completedFrom = completed.load();
  const int64_t measureFrom = measureStart.load();
  auto* sqlStore = dynamic_cast<store::SqlStore*>(&store);
  const store::WriteStats writerFrom = sqlStore ? sqlStore->writerStats() : store::WriteStats{};
  const uint64_t looksFrom = eng.looks();
  std::vector<double> writerWaiting;  // writes queued for the writer, sampled every second

  std::vector<double> latMs;
  std::mutex latMu;
  std::atomic<long> errors{0};
  const int clients = 4;
  std::vector<std::thread> load;
  auto start = Steady::now();
  auto end = start + std::chrono::seconds(seconds);
  for (int c = 0; c < clients; ++c) {
    load.emplace_back([&, c] {
      Http http(token);
      std::string out;
      auto period = std::chrono::nanoseconds(1000000000LL * clients / rate);
      auto when = start + period * c / clients;
      for (long i = 0; when < end; ++i, when += period) {
        std::this_thread::sleep_until(when);
        std::string url;
        if (i % 2 == 0) {
          url = fmt::format("{}/api/v1/status?service=svc{:05d}&env=prod", base, (i * 7919 + c) % services);
        } else {
          std::lock_guard l(idsMu);
          url = recentIds.empty() ? "" : fmt::format("{}/api/v1/deployments/{}", base,
                                                      recentIds[(i * 31 + c) % recentIds.size()]);
        }
        if (url.empty()) continue;
        long status = http.call("GET", url, "", &out);
        double ms = std::chrono::duration<double, std::milli>(Steady::now() - when).count();
        if (status != 200) ++errors;
        std::lock_guard l(latMu);
        latMs.push_back(ms);
      }
    });
  }
  std::vector<std::pair<int, long>> rss;
  for (int s = 0; Steady::now() < end; ++s) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    if (sqlStore) writerWaiting.push_back(static_cast<double>(sqlStore->writerStats().waiting));
    if (s % 5 == 0) {
      rss.push_back({s, rssKb()});
      std::fprintf(stderr, "t=%3ds rss %ld kB, %ld submitted, %ld completed\n", s, rss.back().second,
                   submitted.load(), completed.load());
    }
  }
  for (auto& t : load) t.join();
  const double measuredS = std::chrono::duration<double>(Steady::now() - start).count();
  const long submittedIn = submitted.load() - submittedFrom, completedIn = completed.load() - completedFrom;
  const long notSucceededIn = notSucceeded.load();
  const store::WriteStats writerTo = sqlStore ? sqlStore->writerStats() : store::WriteStats{};
  const uint64_t looksIn = eng.looks() - looksFrom;
  stop = true;
  gStopping = true;
  deployer.join();
  ticker.join();
  keeper.join();
  eng.stop();  // the workers' phases in progress end; queued ones are dropped
  api.stop();
  const int64_t measureTo = toUnixMillis(SystemClock::instance().now());

  // Phase latency from the audit log: for each deployment but the stuck one,
  // each phase change's commit time minus when the phase could move: the
  // creation (first change), the bake's end (the move out of bake), else the
  // previous change.
  std::vector<double> phaseMs;
  std::map<std::string, std::vector<double>> byPhase;
  {
    std::vector<store::AuditEvent> all;
    for (int64_t after = 0;;) {
      store::AuditFilter f;
      f.afterSeq = after;
      f.limit = 20000;
      auto page = store.listEvents(f);
      if (!page) {
        std::fprintf(stderr, "events: %s\n", page.error().describe().c_str());
        return 1;
      }
      if (page->empty()) break;
      after = page->back().seq;
      all.insert(all.end(), page->begin(), page->end());
    }
    std::map<std::string, int64_t> last;   // deployment -> time of its last change
    std::map<std::string, int64_t> bakeEnd;  // deployment -> bake_until (Unix ms)
    for (const auto& e : all) {
      if (e.deploymentId.empty() || e.deploymentId == stuckId) continue;
      if (e.kind == "deployment.created") {
        last[e.deploymentId] = e.time;
        continue;
      }
      if (e.kind != "deployment.phase" && e.kind != "deployment.finished") continue;
      auto it = last.find(e.deploymentId);
      if (it == last.end()) continue;
      int64_t ready = it->second;
      std::string phase = e.data.value("phase", "");
      if (phase == "drain_previous" && bakeEnd.contains(e.deploymentId)) ready = bakeEnd[e.deploymentId];
      if (e.time >= measureFrom && e.time <= measureTo) {
        phaseMs.push_back(static_cast<double>(e.time - ready));
        byPhase[e.kind + ":" + phase].push_back(static_cast<double>(e.time - ready));
      }
      it->second = e.time;
      if (e.kind == "deployment.finished" && phase == "bake") {
        auto d = eng.get(e.deploymentId);
        if (d) bakeEnd[e.deploymentId] = d->bakeUntil;
      }
    }
  }

  std::vector<double> ticks, writes;
  {
    std::lock_guard l(tickMu);
    ticks = tickMs;
  }
  {
    std::lock_guard l(writeMu);
    writes = writeMs;
  }
  auto stuck = stuckId.empty() ? Result<engine::Deployment>(std::unexpected(Error{})) : eng.get(stuckId);
  std::printf("store %s; workers %d, sweep %d ms; services %d, concurrent deployments %d, bake %d s; measured %d s: "
              "%ld submitted, %ld completed (%.1f/s); %ld ended other than succeeded since the set-up\n",
              store.kind().c_str(), workers, sweepMs, services, concurrent, gBakeSeconds, seconds, submittedIn,
              completedIn, static_cast<double>(completedIn) / measuredS, notSucceededIn);
  if (stuckSeconds > 0) {
    std::printf("stuck deployment (smoke test of %d s): %s, now %s\n", stuckSeconds, stuckId.c_str(),
                stuck ? (stuck->state + "/" + json(stuck->phase).get<std::string>()).c_str() : "?");
  }
  std::printf("phase latency of the other deployments: %s\n", summary(phaseMs).c_str());
  for (auto& [k, v] : byPhase) std::printf("  %s: %s\n", k.c_str(), summary(v).c_str());
  std::printf("API reads at %d req/s: %zu requests, %ld errors, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", rate,
              latMs.size(), errors.load(), pct(latMs, 0.5), pct(latMs, 0.99), pct(latMs, 1.0));
  std::printf("API writes (POST /api/v1/deployments): %s\n", summary(writes).c_str());
  std::printf("engine tick: %s\n", summary(ticks).c_str());
  std::printf("deployment phases run (read and advanced): %lu (%.0f/s)\n", static_cast<unsigned long>(looksIn),
              static_cast<double>(looksIn) / measuredS);
  if (sqlStore) {
    const auto d = [&](uint64_t store::WriteStats::*m) { return static_cast<double>(writerTo.*m - writerFrom.*m); };
    const double commits = d(&store::WriteStats::commits), writes = d(&store::WriteStats::committedWrites);
    std::printf("store writer over the %.0f s measured: %.0f commits (%.0f/s), %.0f writes committed (%.0f/s, "
                "%.2f per commit), %.0f failed writes, %.0f failed commits, largest batch %lu, busy %.0f%%; "
                "transactions by writes 1 / 2-3 / 4-7 / 8-15 / 16-31 / 32+:",
                measuredS, commits, commits / measuredS, writes, writes / measuredS, commits > 0 ? writes / commits : 0.0,
                d(&store::WriteStats::failedWrites), d(&store::WriteStats::failedBatches),
                static_cast<unsigned long>(writerTo.largestBatch),
                100.0 * d(&store::WriteStats::busyMicros) / 1e6 / measuredS);
    for (int i = 0; i < 6; ++i) {
      std::printf("%s%lu", i ? " / " : " ",
                  static_cast<unsigned long>(writerTo.batchesOf[i] - writerFrom.batchesOf[i]));
    }
    std::printf("; writes queued for the writer (sampled each second): p50 %.0f, max %.0f\n", pct(writerWaiting, 0.5),
                pct(writerWaiting, 1.0));
  }
  std::printf("rss kB:");
  for (auto& [s, kb] : rss) std::printf(" t%d=%ld", s, kb);
  std::printf("\n");
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
