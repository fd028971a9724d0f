// CoreFixtures.h — helpers shared by the infra-core tests: load a fixture
// config, "apply" a desired graph into an InfraState (what a successful
// apply records), read/write golden files.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/ConfigLoader.h"
#include "infra/DesiredGraph.h"
#include "infra/InfraState.h"

namespace ramp::infra::testing {

inline std::filesystem::path sourceDir() {
  const char* s = std::getenv("RAMP_SOURCE_DIR");
  return s ? std::filesystem::path(s) : std::filesystem::path(RAMP_TEST_SOURCE_DIR);
}

inline std::filesystem::path fixture(const std::string& name) {
  return sourceDir() / "tests" / "infra" / "fixtures" / name;
}

inline config::Config loadFixture(const std::string& name) {
  auto r = config::loadConfig(fixture(name));
  if (!r) {
    ADD_FAILURE() << name << ": " << r.error().describe();
    return {};
  }
  return *r;
}

inline std::vector<Resource> desiredOf(const config::Config& cfg, const std::string& env,
                                       const std::vector<std::string>& regions = {}) {
  auto r = desiredResources(cfg, env, regions);
  if (!r) {
    ADD_FAILURE() << r.error().describe();
    return {};
  }
  return *r;
}

// What a complete apply of `desired` records, by region ("" = global).
inline std::map<std::string, InfraState> appliedState(const std::string& project, const std::string& env,
                                                      const std::vector<Resource>& desired) {
  std::map<std::string, InfraState> out;
  for (const auto& d : desired) {
    InfraState& st = out[d.region];
    st.project = project;
    st.env = env;
    st.region = d.region;
    st.lineage = "lineage-" + (d.region.empty() ? std::string("global") : d.region);
    st.serial = 3;
    ResourceState rs;
    rs.address = d.address;
    rs.type = d.type;
    rs.name = d.name;
    rs.region = d.region;
    rs.id = "id:" + d.address;
    rs.attributes = d.attributes;
    st.resources[d.address] = rs;
  }
  return out;
}

inline std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Compares `actual` with the golden file, or rewrites it when RAMP_UPDATE_GOLDEN=1.
inline void expectGolden(const std::string& name, const std::string& actual) {
  auto path = fixture("golden/" + name);
  const char* update = std::getenv("RAMP_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " is missing; run with RAMP_UPDATE_GOLDEN=1";
  std::string expected = readFile(path);
  EXPECT_EQ(actual, expected) << "golden file " << path
                              << " differs (if the change is intended: RAMP_UPDATE_GOLDEN=1 ctest -R infra_core)";
}

}  // namespace ramp::infra::testing
