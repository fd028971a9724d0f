// infra_bench — how plan scales (issue: infrastructure as code).
//
//   infra_bench [--regions 20] [--services 440] [--alarms 55] [--latency-ms 50]
//
// Builds one aws environment whose desired graph has about 10,000 resources
// (per region: an ALB, 2 listeners, a rule per service, a topic, an alarm
// per definition; global: the instance profile and a record per service),
// then measures, each on its own:
//   1. config load + desired graph (wall),
//   2. plan WITHOUT refresh from an empty state (10k creates) and against
//      the applied state (no-op), plus text and JSON rendering (wall),
//   3. refresh against FakeInfraProvider (every resource exists; 50 ms per
//      call and AWS-like token buckets on a ManualClock: simulated time) and
//      the plan on the refreshed state: API calls made vs the minimum
//      Σ ceil(n / batch) over type × region, simulated and real wall time,
//   4. peak RSS (getrusage),
//   5. refresh with REAL waiting (SystemClock, each call sleeps
//      --real-latency-ms, default 10) reading 1, 4 and all regions at once
//      (RefreshOptions::maxParallelRegions): wall time, calls, the most
//      regions the fake saw in flight at once.
// Exits 1 if a target is missed: plan w/o refresh < 1 s, refresh calls
// within 10% of the minimum, peak RSS < 200 MB.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <thread>
#include <string>

#include <fmt/format.h>

#include "config/AwsRegions.h"
#include "config/ConfigLoader.h"
#include "core/Clock.h"
#include "infra/DesiredGraph.h"
#include "infra/FakeInfraProvider.h"
#include "infra/PlanJson.h"
#include "infra/PlanText.h"
#include "infra/Planner.h"
#include "infra/Refresher.h"

using namespace ramp;
using namespace ramp::infra;

namespace {

double msSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

long peakRssKb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

std::string configText(int regions, int services, int alarms) {
  std::string y = "project: bench\nenvironments:\n  prod:\n    provider: aws\n    regions: [";
  // Real region names (validate refuses others), as many as asked for.
  const auto& known = config::awsRegions();
  for (int i = 0; i < regions && i < static_cast<int>(known.size()); ++i) y += fmt::format("{}{}", i ? ", " : "", known[i]);
  y += "]\n    aws:\n      subnets: [subnet-0a1, subnet-0a2]\n      security_groups: [sg-0a1]\n"
       "      dns: {zone: example.com, routing: weighted}\n      alarm_definitions:\n";
  for (int a = 0; a < alarms; ++a) {
    y += fmt::format("        - {{name: alarm{}, metric: latency_p99, threshold: {}}}\n", a, 1 + a);
  }
  y += "services:\n";
  for (int s = 0; s < services; ++s) y += fmt::format("  svc{}: {{run: {{command: bin/svc}}}}\n", s);
  return y;
}

int argInt(int argc, char** argv, const char* name, int def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::atoi(argv[i + 1]);
  }
  return def;
}


struct World {
  config::Config cfg;
  std::vector<Resource> desired;
  double loadMs = 0, graphMs = 0;
};

std::optional<World> makeWorld(int regions, int services, int alarms) {
  World w;
  auto t0 = std::chrono::steady_clock::now();
  auto loaded = config::loadConfigText(configText(regions, services, alarms), "bench.yaml");
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", d.format().c_str());
    return std::nullopt;
  }
  w.loadMs = msSince(t0);
  w.cfg = std::move(*loaded.config);
  t0 = std::chrono::steady_clock::now();
  auto desired = desiredResources(w.cfg, "prod", {});
  if (!desired) {
    std::fprintf(stderr, "%s\n", desired.error().describe().c_str());
    return std::nullopt;
  }
  w.graphMs = msSince(t0);
  w.desired = std::move(*desired);
  return w;
}

std::map<std::string, InfraState> appliedState(const std::vector<Resource>& desired) {
  std::map<std::string, InfraState> state;
  for (const auto& d : desired) {
    InfraState& st = state[d.region];
    st.region = d.region;
    st.lineage.assign(1, 'l');
    st.serial = 1;
    st.resources.emplace(d.address, ResourceState{d.address, d.type, d.name, d.region, "id:" + d.address, d.attributes});
  }
  return state;
}

// Runs `phase` in a child process so that each phase's peak RSS is its own.
int inChild(const char* name, const std::function<int()>& phase) {
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    int rc = phase();
    fmt::print("  peak RSS of this phase ({})  {:.1f} MB\n", name, peakRssKb() / 1024.0);
    std::fflush(stdout);
    _exit(rc);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace

int main(int argc, char** argv) {
  int regions = argInt(argc, argv, "--regions", 20);
  int services = argInt(argc, argv, "--services", 440);
  int alarms = argInt(argc, argv, "--alarms", 55);
  int latencyMs = argInt(argc, argv, "--latency-ms", 50);
  int failures = 0;

  failures += inChild("plan without refresh", [&] {
    auto w = makeWorld(regions, services, alarms);
    if (!w) return 1;
    auto t0 = std::chrono::steady_clock::now();
    Plan fresh = Planner::plan("bench", "prod", {}, w->desired, {}, std::nullopt);
    double createMs = msSince(t0);
    auto state = appliedState(w->desired);
    t0 = std::chrono::steady_clock::now();
    Plan noop = Planner::plan("bench", "prod", {}, w->desired, state, std::nullopt);
    double noopMs = msSince(t0);
    fmt::print("== plan without refresh\n");
    fmt::print("  resources                     {}  ({} regions, {} services, {} alarm definitions)\n",
               w->desired.size(), regions, services, alarms);
    fmt::print("  config load                   {:.1f} ms\n", w->loadMs);
    fmt::print("  desired graph                 {:.1f} ms\n", w->graphMs);
    fmt::print("  plan from empty state         {:.1f} ms  ({} changes, digest included)\n", createMs, fresh.changes.size());
    fmt::print("  plan against applied state    {:.1f} ms  (no_op={})\n", noopMs, noop.noOp());
    bool ok = createMs < 1000 && noopMs < 1000 && noop.noOp() && peakRssKb() < 200 * 1024;
    fmt::print("  target plan < 1 s and < 200 MB: {}\n", ok ? "met" : "MISSED");
    return ok ? 0 : 1;
  });

  failures += inChild("render", [&] {
    auto w = makeWorld(regions, services, alarms);
    if (!w) return 1;
    Plan fresh = Planner::plan("bench", "prod", {}, w->desired, {}, std::nullopt);
    auto t0 = std::chrono::steady_clock::now();
    std::string text = planText(fresh, false);
    double textMs = msSince(t0);
    t0 = std::chrono::steady_clock::now();
    std::string json = planJsonText(fresh);
    double jsonMs = msSince(t0);
    t0 = std::chrono::steady_clock::now();
    auto back = planFromJson(nlohmann::json::parse(json));
    double readMs = msSince(t0);
    fmt::print("== render a 10k-change plan\n");
    fmt::print("  text                          {:.1f} ms  ({} bytes)\n", textMs, text.size());
    fmt::print("  json (planJsonText)           {:.1f} ms  ({} bytes)\n", jsonMs, json.size());
    fmt::print("  json read back (planFromJson) {:.1f} ms  (round trip {})\n", readMs,
               back ? "ok" : back.error().describe());
    return back ? 0 : 1;
  });

  failures += inChild("refresh", [&] {
    auto w = makeWorld(regions, services, alarms);
    if (!w) return 1;
    auto state = appliedState(w->desired);
    ManualClock clock;
    FakeInfraProvider::Options opts;
    opts.latency = std::chrono::milliseconds(latencyMs);
    FakeInfraProvider fake(clock, opts);
    for (const auto& d : w->desired) {
      fake.addOutOfBand(ResourceState{d.address, d.type, d.name, d.region, "id:" + d.address, d.attributes}, d.tags);
    }
    uint64_t minimum =
        minimumCalls(w->desired, state, [&](const std::string& type) { return fake.familyOf(type).maxBatch; });
    MonoTime sim0 = clock.monotonic();
    auto t0 = std::chrono::steady_clock::now();
    auto refreshed = refresh(fake, w->desired, state);
    double wallMs = msSince(t0);
    double simS = std::chrono::duration<double>(clock.monotonic() - sim0).count();
    if (!refreshed) {
      std::fprintf(stderr, "refresh: %s\n", refreshed.error().describe().c_str());
      return 1;
    }
    t0 = std::chrono::steady_clock::now();
    Plan p = Planner::plan("bench", "prod", {}, w->desired, state, *refreshed);
    double planMs = msSince(t0);
    uint64_t calls = fake.callsMade();
    std::string byFamily;
    for (const auto& [fam, c] : fake.callsByFamily()) byFamily += fmt::format("{}={} ", fam, c);
    fmt::print("== refresh against FakeInfraProvider ({} ms per call, AWS-like token buckets, simulated time)\n",
               latencyMs);
    fmt::print("  API calls                     {} (minimum {}, +{:.1f}%; one Describe per resource would be {})\n",
               calls, minimum, minimum ? 100.0 * (double(calls) - double(minimum)) / double(minimum) : 0.0,
               w->desired.size());
    fmt::print("  calls by family               {}\n", byFamily);
    fmt::print("  simulated time                {:.2f} s (serial client; throttled {})\n", simS, fake.throttled());
    fmt::print("  real wall time of refresh     {:.1f} ms\n", wallMs);
    fmt::print("  plan on refreshed state       {:.1f} ms  (no_op={})\n", planMs, p.noOp());
    bool ok = double(calls) <= 1.10 * double(minimum) && p.noOp() && peakRssKb() < 200 * 1024;
    fmt::print("  target calls within 10% of minimum, < 200 MB: {}\n", ok ? "met" : "MISSED");
    return ok ? 0 : 1;
  });
  failures += inChild("unbatched refresh", [&] {
    auto w = makeWorld(regions, services, alarms);
    if (!w) return 1;
    auto state = appliedState(w->desired);
    ManualClock clock;
    FakeInfraProvider::Options opts;
    opts.latency = std::chrono::milliseconds(latencyMs);
    fmt::print("== for comparison: the same refresh with one resource per Describe call\n");
    // The same refresh with one resource per Describe call (what a
    // per-resource refresh does), same latency and buckets.
    FakeInfraProvider::Options single = opts;
    single.families = FakeInfraProvider::defaultFamilies();
    for (auto& [type, fam] : single.families) fam.maxBatch = 1;
    FakeInfraProvider one(clock, single);
    for (const auto& d : w->desired) {
      one.addOutOfBand(ResourceState{d.address, d.type, d.name, d.region, "id:" + d.address, d.attributes}, d.tags);
    }
    MonoTime sim1 = clock.monotonic();
    auto unbatched = refresh(one, w->desired, state);
    double simUnbatched = std::chrono::duration<double>(clock.monotonic() - sim1).count();
    fmt::print("  unbatched                     {} calls, {:.1f} s simulated ({})\n", one.callsMade(), simUnbatched,
               unbatched ? "ok" : unbatched.error().describe());
    return unbatched ? 0 : 1;
  });
  int realLatencyMs = argInt(argc, argv, "--real-latency-ms", 10);
  failures += inChild("refresh with real waiting", [&] {
    auto w = makeWorld(regions, services, alarms);
    if (!w) return 1;
    auto state = appliedState(w->desired);
    fmt::print("== refresh with real waiting ({} ms sleep per call, SystemClock buckets)\n", realLatencyMs);
    std::string serialText;
    int rc = 0;
    for (size_t parallel : {size_t(1), size_t(4), size_t(regions + 1)}) {
      FakeInfraProvider::Options opts;
      opts.latency = std::chrono::milliseconds(realLatencyMs);
      FakeInfraProvider fake(SystemClock::instance(),
                             [](std::chrono::nanoseconds d) { std::this_thread::sleep_for(d); }, opts);
      for (const auto& d : w->desired) {
        fake.addOutOfBand(ResourceState{d.address, d.type, d.name, d.region, "id:" + d.address, d.attributes}, d.tags);
      }
      auto t0 = std::chrono::steady_clock::now();
      auto got = refresh(fake, w->desired, state, RefreshOptions{parallel});
      double ms = msSince(t0);
      if (!got) {
        std::fprintf(stderr, "refresh: %s\n", got.error().describe().c_str());
        return 1;
      }
      std::string text;
      for (const auto& [addr, st] : *got) text += addr + st.id + st.attributes.dump() + "\n";
      if (parallel == 1) serialText = text;
      bool same = text == serialText;
      if (!same) rc = 1;
      fmt::print("  {:>2} region(s) at once        {:8.0f} ms  {} calls, max regions in flight {}, throttled {}, "
                 "result {}\n",
                 parallel, ms, fake.callsMade(), fake.maxRegionsInFlight(), fake.throttled(),
                 same ? "identical to serial" : "DIFFERS from serial");
    }
    return rc;
  });
  return failures == 0 ? 0 : 1;
}
