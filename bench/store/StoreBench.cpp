// StoreBench — cost of the store operations the engine does on every step:
// an audit append (hash chain, one transaction), a fenced deployment update
// (revision + fence check), a phase commit with its audit event (one
// transaction, and the two it used to be), a lease renewal, and a point read.
//
// Backends: SQLite in a temporary directory always; PostgreSQL when
// RAMP_BENCH_PG_URL names a database (bench/store/run starts one).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>

#include "core/Sha256.h"
#include "store/Store.h"

using namespace ramp;
using namespace ramp::store;

namespace {

// One scratch directory per process, removed at exit.
struct Scratch {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("ramp-store-bench-" + randomHex(4));
  Scratch() { std::filesystem::create_directories(dir); }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

std::unique_ptr<Store> openFor(const std::string& backend) {
  std::string url;
  if (backend == "sqlite") {
    static Scratch scratch;
    url = "sqlite://" + (scratch.dir / ("state-" + randomHex(4) + ".db")).string();
  } else {
    const char* u = std::getenv("RAMP_BENCH_PG_URL");
    if (!u) return nullptr;
    url = u;
  }
  auto s = openStore(url);
  if (!s) {
    fprintf(stderr, "%s\n", s.error().describe().c_str());
    return nullptr;
  }
  return std::move(*s);
}

void AppendEvent(benchmark::State& state, std::string backend) {
  auto store = openFor(backend);
  if (!store) return state.SkipWithError("backend unavailable");
  int64_t i = 0;
  for (auto _ : state) {
    AuditEventInput e;
    e.time = 1'700'000'000'000 + i++;
    e.actor = "ramp";
    e.kind = "deployment.step";
    e.service = "crawler";
    e.env = "prod";
    e.deploymentId = "dep-bench";
    e.data = Json{{"step", i}, {"weights", Json::array({90, 10})}, {"verdict", "pass"}};
    auto r = store->appendEvent(e);
    if (!r) return state.SkipWithError(r.error().describe().c_str());
  }
}

void FencedUpdate(benchmark::State& state, std::string backend) {
  auto store = openFor(backend);
  if (!store) return state.SkipWithError("backend unavailable");
  auto lease = store->acquireLease("bench-" + randomHex(4), "node", 60'000, 1'700'000'000'000);
  if (!lease) return state.SkipWithError(lease.error().describe().c_str());
  Fence fence{lease->name, lease->epoch};
  DeploymentRecord d;
  d.id = "dep-" + randomHex(6);
  d.service = "crawler";
  d.env = "prod";
  d.state = "running";
  d.doc = Json{{"strategy", "canary"}, {"steps", Json::array({10, 25, 50, 100})}, {"step", 0}};
  if (auto st = store->insertDeployment(d, fence); !st) return state.SkipWithError("insert");
  for (auto _ : state) {
    d.doc["step"] = d.revision;
    auto st = store->updateDeployment(d, fence);
    if (!st) return state.SkipWithError(st.error().describe().c_str());
  }
}

// A phase commit as the engine makes it: the fenced update and its
// deployment.phase event. `together`: one transaction (updateDeployment with
// the event, what the engine does); else two (update, then appendEvent: how
// it was before).
void PhaseCommit(benchmark::State& state, std::string backend, bool together) {
  auto store = openFor(backend);
  if (!store) return state.SkipWithError("backend unavailable");
  auto lease = store->acquireLease("bench-" + randomHex(4), "node", 60'000, 1'700'000'000'000);
  if (!lease) return state.SkipWithError(lease.error().describe().c_str());
  Fence fence{lease->name, lease->epoch};
  DeploymentRecord d;
  d.id = "dep-" + randomHex(6);
  d.service = "crawler";
  d.env = "prod";
  d.state = "running";
  d.doc = Json{{"strategy", "canary"}, {"steps", Json::array({10, 25, 50, 100})}, {"step", 0}};
  if (auto st = store->insertDeployment(d, fence); !st) return state.SkipWithError("insert");
  int64_t i = 0;
  for (auto _ : state) {
    d.doc["step"] = d.revision;
    AuditEventInput e{1'700'000'000'000 + i++, "ramp", "deployment.phase", "crawler", "prod", d.id,
                      Json{{"phase", "canary_analysis"}, {"step", d.revision}}};
    if (together) {
      if (auto st = store->updateDeployment(d, fence, {e}); !st) return state.SkipWithError(st.error().describe().c_str());
    } else {
      if (auto st = store->updateDeployment(d, fence); !st) return state.SkipWithError(st.error().describe().c_str());
      if (auto r = store->appendEvent(e); !r) return state.SkipWithError(r.error().describe().c_str());
    }
  }
}

void RenewLease(benchmark::State& state, std::string backend) {
  auto store = openFor(backend);
  if (!store) return state.SkipWithError("backend unavailable");
  std::string name = "bench-" + randomHex(4);
  int64_t now = 1'700'000'000'000;
  auto lease = store->acquireLease(name, "node", 60'000, now);
  if (!lease) return state.SkipWithError(lease.error().describe().c_str());
  for (auto _ : state) {
    auto r = store->renewLease(name, "node", lease->epoch, 60'000, ++now);
    if (!r) return state.SkipWithError(r.error().describe().c_str());
  }
}

void GetDeployment(benchmark::State& state, std::string backend) {
  auto store = openFor(backend);
  if (!store) return state.SkipWithError("backend unavailable");
  DeploymentRecord d;
  d.id = "dep-" + randomHex(6);
  d.service = "crawler";
  d.env = "prod";
  d.state = "running";
  d.doc = Json{{"strategy", "canary"}};
  if (auto st = store->insertDeployment(d, std::nullopt); !st) return state.SkipWithError("insert");
  for (auto _ : state) {
    auto r = store->getDeployment(d.id);
    if (!r) return state.SkipWithError(r.error().describe().c_str());
    benchmark::DoNotOptimize(r->revision);
  }
}

}  // namespace

BENCHMARK_CAPTURE(AppendEvent, sqlite, "sqlite")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(FencedUpdate, sqlite, "sqlite")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(PhaseCommit, sqlite_one_transaction, "sqlite", true)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(PhaseCommit, sqlite_two_transactions, "sqlite", false)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(RenewLease, sqlite, "sqlite")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(GetDeployment, sqlite, "sqlite")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(AppendEvent, postgresql, "postgresql")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(FencedUpdate, postgresql, "postgresql")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(PhaseCommit, postgresql_one_transaction, "postgresql", true)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(PhaseCommit, postgresql_two_transactions, "postgresql", false)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(RenewLease, postgresql, "postgresql")->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(GetDeployment, postgresql, "postgresql")->Unit(benchmark::kMicrosecond)->UseRealTime();

BENCHMARK_MAIN();
