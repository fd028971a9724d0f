// ConfigBench.cpp — how long validation takes: the example, a large valid
// configuration, and the hostile inputs of tests/config/run-hostile.sh.
// Run: build-*/bench/config/config_bench  (figures in docs/benchmarks.md)
#include <benchmark/benchmark.h>

#include <fstream>
#include <sstream>
#include <string>

#include "config/ConfigLoader.h"
#include "config/EffectiveService.h"

using ramp::config::loadConfigText;

namespace {

std::string readAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// services × (int, uat, prod with 3 regions), each with overrides.
std::string largeConfig(int services) {
  std::string t = "project: big\nenvironments:\n  int: {}\n  uat: {}\n  prod: {regions: [r1, r2, r3]}\n"
                  "pipeline: [int, uat, prod]\nservices:\n";
  for (int i = 0; i < services; ++i) {
    std::string n = "svc" + std::to_string(i);
    t += "  " + n + ":\n    release: {build: make, output: dist}\n"
         "    run: {command: bin/" + n + ", args: [--a, --b], env: {A: \"${env:HOME}\", B: \"${secret:k" +
         std::to_string(i) + "}\"}}\n"
         "    health: {path: /healthz, interval: 1s, timeout: 500ms}\n"
         "    instances: 2\n"
         "    strategy: {type: bluegreen, bake: 30s}\n"
         "    analysis: {pass_score: 90, marginal_score: 70}\n"
         "    overrides:\n      env:\n        prod:\n          instances: 4\n"
         "          strategy: {type: canary, steps: [{weight: 10}, {analysis: {duration: 1m}}, {weight: 50}, {weight: 100}]}\n"
         "      region:\n        r3: {instances: 6}\n";
  }
  return t;
}

std::string billionLaughs() {
  std::string t = "a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    std::string p(1, static_cast<char>(c - 1));
    t += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 9; ++i) t += (i ? ",*" : "*") + p;
    t += "]\n";
  }
  return t;
}

void run(benchmark::State& state, const std::string& text) {
  for (auto _ : state) {
    auto r = loadConfigText(text, "bench.yaml");
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(text.size()));
}

void BM_Example(benchmark::State& s) { run(s, readAll(std::string(RAMP_SOURCE_DIR) + "/examples/crawler/ramp.yaml")); }
void BM_Large200Services(benchmark::State& s) { run(s, largeConfig(200)); }
void BM_RenderAllLarge(benchmark::State& state) {
  auto r = loadConfigText(largeConfig(200), "bench.yaml");
  for (auto _ : state) {
    for (const auto& svc : r.config->services) {
      auto e = ramp::config::render(*r.config, svc.name, "prod", "r3");
      benchmark::DoNotOptimize(e);
    }
  }
}
void BM_BillionLaughs(benchmark::State& s) { run(s, billionLaughs()); }
void BM_Nesting10000(benchmark::State& s) { run(s, std::string(10000, '[') + std::string(10000, ']')); }
void BM_Comments4MiB(benchmark::State& s) {
  std::string t;
  while (t.size() + 10 < (4u << 20)) t += "# padding\n";
  run(s, t);
}
void BM_TooLarge10MiB(benchmark::State& s) { run(s, std::string(10u << 20, 'a')); }
void BM_BinaryGarbage(benchmark::State& s) {
  std::string t(65536, '\0');
  uint32_t x = 2463534242u;
  for (auto& c : t) {
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    c = static_cast<char>(x);
  }
  run(s, t);
}
void BM_ManyErrors20000Services(benchmark::State& s) {
  std::string t = "project: x\nservices:\n";
  for (int i = 0; i < 20000; ++i) t += "  s" + std::to_string(i) + ": {run: {command: c}, helth: 1}\n";
  run(s, t);
}

}  // namespace

BENCHMARK(BM_Example)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Large200Services)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RenderAllLarge)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BillionLaughs)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Nesting10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Comments4MiB)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TooLarge10MiB)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BinaryGarbage)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ManyErrors20000Services)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
