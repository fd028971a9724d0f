// ControllerBench — one controller's engine, store (SQLite) and API under
// 10,000 services and 500 concurrent deployments, with instant in-memory
// providers. Reports:
//   - API latency p50/p99/max at a fixed request rate (GET status of a
//     service, GET a deployment), measured from each request's scheduled send
//     time (no coordinated omission);
//   - engine tick time p50/p99;
//   - resident memory every few seconds while deployments complete (must not
//     grow with completed deployments).
// Usage: controller_bench [--services N] [--concurrent N] [--rate R]
//                         [--seconds S] [--dir DIR]
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
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "InMemoryProviders.h"
#include "core/Clock.h"
#include "core/Sha256.h"
#include "engine/Engine.h"
#include "server/Access.h"
#include "server/ApiServer.h"
#include "store/Store.h"

using namespace ramp;
using nlohmann::json;
using Steady = std::chrono::steady_clock;

namespace {

class BenchReleases final : public engine::ReleaseCatalog {
 public:
  Result<engine::ReleaseRef> find(const std::string& service, const std::string& version) override {
    return engine::ReleaseRef{service, version, "sha256:" + std::string(64, 'a'), "/releases/" + version, 0};
  }
  Status verify(const engine::ReleaseRef&) override { return ok(); }
};

json rendered(const std::string& service) {
  return {{"service", service},
          {"env", "prod"},
          {"region", "local"},
          {"run", {{"command", "bin/svc"}, {"args", json::array()}, {"env", json::object()}}},
          {"health", {{"path", "/healthz"}, {"interval", "100ms"}, {"timeout", "500ms"}}},
          {"instances", 2},
          {"strategy", {{"type", "bluegreen"}, {"bake", "1s"}, {"deadline", "10s"}}}};
}

long rssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

size_t sink(char*, size_t s, size_t n, void*) { return s * n; }

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

}  // namespace

int main(int argc, char** argv) {
  int services = 10000, concurrent = 500, rate = 500, seconds = 60;
  std::string dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--services") services = std::atoi(argv[i + 1]);
    else if (a == "--concurrent") concurrent = std::atoi(argv[i + 1]);
    else if (a == "--rate") rate = std::atoi(argv[i + 1]);
    else if (a == "--seconds") seconds = std::atoi(argv[i + 1]);
    else if (a == "--dir") dir = argv[i + 1];
    else {
      std::fprintf(stderr, "unknown argument %s\n", argv[i]);
      return 1;
    }
  }
  if (dir.empty()) {
    char tmpl[] = "/tmp/ramp-ctl-bench.XXXXXX";
    dir = mkdtemp(tmpl);
  }
  auto st = store::openStore("sqlite://" + dir + "/ramp.db");
  if (!st) {
    std::fprintf(stderr, "%s\n", st.error().describe().c_str());
    return 1;
  }
  auto& store = **st;
  std::string token = "bench-token";
  (void)store.putSetting("token_sha256:admin", json{{"sha256", sha256Hex(token)}, {"user", "bench"}}.dump());

  bench::InMemoryProviders providers;
  BenchReleases releases;
  engine::Engine eng(store, providers, providers, providers, releases, SystemClock::instance(), {});

  // Like the controller: one store lookup per request (no token cache).
  server::ApiServer api([&](const std::string& tok) -> Result<server::Principal> {
    auto v = store.getSetting("token_sha256:admin");
    if (!v || !*v) return fail(ErrorCode::kUnauthenticated, "no tokens");
    auto j = json::parse(**v, nullptr, false);
    if (j.is_object() && j.value("sha256", "") == sha256Hex(tok)) return server::Principal{"bench", "tok-bench", {{"*", {"viewer"}}}};
    return fail(ErrorCode::kUnauthenticated, "bad token", "Authorization");
  });
  api.route("GET", "/api/v1/deployments/{id}", server::Access::global("viewer"), [&](const server::ApiRequest& r) -> Result<server::ApiResponse> {
    auto d = eng.get(r.params[0]);
    if (!d) return std::unexpected(d.error());
    return server::ApiResponse{200, d->toDoc()};
  });
  api.route("GET", "/api/v1/status", server::Access::queryEnv("viewer"), [&](const server::ApiRequest& r) -> Result<server::ApiResponse> {
    auto s = eng.status(r.query.at("service"), r.query.at("env"));
    if (!s) return std::unexpected(s.error());
    return server::ApiResponse{200, *s};
  });
  auto address = api.start("127.0.0.1", 0);
  if (!address) return 1;

  std::atomic<bool> stop{false};
  std::mutex idsMu;
  std::deque<std::string> recentIds;
  std::atomic<long> completed{0}, submitted{0};
  std::vector<double> tickMs;
  std::mutex tickMu;

  std::thread ticker([&] {
    while (!stop) {
      auto t0 = Steady::now();
      (void)eng.tick();
      double ms = std::chrono::duration<double, std::milli>(Steady::now() - t0).count();
      {
        std::lock_guard l(tickMu);
        tickMs.push_back(ms);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  // Keeps `concurrent` deployments active over `services` services.
  std::thread deployer([&] {
    long next = 0;
    std::vector<std::string> active;
    while (!stop) {
      std::vector<std::string> still;
      for (auto& id : active) {
        auto d = eng.get(id);
        if (d && d->phase == "done") {
          ++completed;
        } else {
          still.push_back(id);
        }
      }
      active.swap(still);
      while (static_cast<int>(active.size()) < concurrent && !stop) {
        long n = next++;
        std::string service = fmt::format("svc{:05d}", n % services);
        engine::DeployRequest q;
        q.service = service;
        q.env = "prod";
        q.version = fmt::format("1.{}.0", n / services);
        q.rendered = rendered(service);
        q.configDigest = "sha256:bench";
        q.actor = "bench";
        auto d = eng.submit(q);
        if (!d) continue;  // that service is still deploying: take the next one
        ++submitted;
        active.push_back(d->id);
        std::lock_guard l(idsMu);
        recentIds.push_back(d->id);
        if (recentIds.size() > 2000) recentIds.pop_front();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });

  // Warm up: let the first wave start.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  std::fprintf(stderr, "warm: %ld submitted, %ld completed, rss %ld kB\n", submitted.load(), completed.load(), rssKb());

  std::vector<double> latMs;
  std::mutex latMu;
  std::atomic<long> errors{0};
  const int clients = 4;
  std::vector<std::thread> load;
  auto start = Steady::now();
  auto end = start + std::chrono::seconds(seconds);
  for (int c = 0; c < clients; ++c) {
    load.emplace_back([&, c] {
      CURL* h = curl_easy_init();
      std::string authz = "Authorization: Bearer " + token;
      curl_slist* hdr = curl_slist_append(nullptr, authz.c_str());
      auto period = std::chrono::nanoseconds(1000000000LL * clients / rate);
      auto when = start + period * c / clients;
      for (long i = 0; when < end; ++i, when += period) {
        std::this_thread::sleep_until(when);
        std::string url;
        if (i % 2 == 0) {
          url = fmt::format("http://{}/api/v1/status?service=svc{:05d}&env=prod", *address, (i * 7919 + c) % services);
        } else {
          std::lock_guard l(idsMu);
          url = recentIds.empty() ? "" : fmt::format("http://{}/api/v1/deployments/{}", *address,
                                                      recentIds[(i * 31 + c) % recentIds.size()]);
        }
        if (url.empty()) continue;
        curl_easy_setopt(h, CURLOPT_URL, url.c_str());
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        CURLcode rc = curl_easy_perform(h);
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        double ms = std::chrono::duration<double, std::milli>(Steady::now() - when).count();
        if (rc != CURLE_OK || status != 200) ++errors;
        std::lock_guard l(latMu);
        latMs.push_back(ms);
      }
      curl_slist_free_all(hdr);
      curl_easy_cleanup(h);
    });
  }
  std::vector<std::pair<int, long>> rss;
  for (int s = 0; Steady::now() < end; ++s) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    if (s % 5 == 0) {
      rss.push_back({s, rssKb()});
      std::fprintf(stderr, "t=%3ds rss %ld kB, %ld submitted, %ld completed\n", s, rss.back().second,
                   submitted.load(), completed.load());
    }
  }
  for (auto& t : load) t.join();
  stop = true;
  deployer.join();
  ticker.join();
  api.stop();

  std::vector<double> ticks;
  {
    std::lock_guard l(tickMu);
    ticks = tickMs;
  }
  std::printf("services %d, concurrent deployments %d, %ld submitted, %ld completed in %d s\n", services, concurrent,
              submitted.load(), completed.load(), seconds);
  std::printf("API at %d req/s: %zu requests, %ld errors, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", rate, latMs.size(),
              errors.load(), pct(latMs, 0.5), pct(latMs, 0.99), pct(latMs, 1.0));
  std::printf("engine tick: %zu ticks, p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", ticks.size(), pct(ticks, 0.5),
              pct(ticks, 0.99), pct(ticks, 1.0));
  std::printf("rss kB:");
  for (auto& [s, kb] : rss) std::printf(" t%d=%ld", s, kb);
  std::printf("\n");
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
