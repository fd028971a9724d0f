// AuditBench — what the audit trail costs: a full `ramp audit verify` (chain
// recomputed + seal checked) over N events in SQLite, and AuditSeal::update
// as the controller calls it after every tick (nothing new; one new event).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <map>

#include "core/Clock.h"
#include "core/Sha256.h"
#include "store/AuditSeal.h"
#include "store/Store.h"

using namespace ramp;
using namespace ramp::store;

namespace {

struct World {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("ramp-audit-bench-" + randomHex(4));
  std::unique_ptr<Store> store;
  std::unique_ptr<AuditSeal> seal;
  int64_t appended = 0;
  World() {
    std::filesystem::create_directories(dir);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
    store = std::move(*openStore("sqlite://" + (dir / "ramp.db").string()));
    seal = std::make_unique<AuditSeal>(dir, SystemClock::instance(), dir / "audit.key");
  }
  ~World() {
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  void append(int64_t n) {
    for (int64_t i = 0; i < n; ++i, ++appended) {
      AuditEventInput e;
      e.time = 1'700'000'000'000 + appended;
      e.actor = "ramp";
      e.kind = "deployment.phase";
      e.service = "crawler";
      e.env = "prod";
      e.deploymentId = "d-bench";
      e.data = {{"state", "running"}, {"phase", "canary_step"}, {"step", appended % 7},
                {"version", "1.4.0"}, {"digest", "sha256:" + std::string(64, 'a')}};
      (void)store->appendEvent(e);
    }
  }
};

World& worldWith(int64_t n) {
  static std::map<int64_t, std::unique_ptr<World>> worlds;
  auto& w = worlds[n];
  if (!w) {
    w = std::make_unique<World>();
    w->append(n);
    (void)w->seal->update(*w->store);
  }
  return *w;
}

void BM_Verify(benchmark::State& state) {
  World& w = worldWith(state.range(0));
  for (auto _ : state) {
    auto v = w.seal->verify(*w.store);
    if (!v || !v->ok) state.SkipWithError("verify failed");
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Verify)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_SealUpdateNothingNew(benchmark::State& state) {
  World& w = worldWith(10000);
  for (auto _ : state) {
    if (!w.seal->update(*w.store)) state.SkipWithError("update failed");
  }
}
BENCHMARK(BM_SealUpdateNothingNew)->Unit(benchmark::kMicrosecond);

void BM_AppendThenSeal(benchmark::State& state) {
  World& w = worldWith(10000);
  for (auto _ : state) {
    w.append(1);
    if (!w.seal->update(*w.store)) state.SkipWithError("update failed");
  }
}
BENCHMARK(BM_AppendThenSeal)->Unit(benchmark::kMicrosecond);

void BM_AppendOnly(benchmark::State& state) {
  World& w = worldWith(10000);
  for (auto _ : state) w.append(1);
}
BENCHMARK(BM_AppendOnly)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
