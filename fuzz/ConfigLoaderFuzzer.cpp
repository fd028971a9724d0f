// ConfigLoaderFuzzer.cpp — libFuzzer target for the config loader.
//
// Any input must load to either a Config or a non-empty list of positioned
// diagnostics, without crashing, hanging or leaking; a loaded Config must
// render (with a digest) for every service, environment and region.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "config/ConfigLoader.h"
#include "config/EffectiveService.h"
#include "config/Reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = ramp::config::loadConfigText(text, "fuzz.yaml");
  if (r.ok() != r.diagnostics.empty()) std::abort();
  for (const auto& d : r.diagnostics) {
    if (d.line < 1 || d.col < 1 || d.file != "fuzz.yaml" || d.message.empty()) std::abort();
  }
  if (r.ok()) {
    const auto& c = *r.config;
    for (const auto& s : c.services) {
      for (const auto& e : c.environments) {
        for (const auto& region : e.regions) {
          auto eff = ramp::config::render(c, s.name, e.name, region);
          if (!eff || eff->digest.size() != 71) std::abort();
        }
      }
    }
  }
  (void)ramp::config::checkReferences(text);
  return 0;
}
