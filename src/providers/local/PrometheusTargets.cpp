#include "providers/local/PrometheusTargets.h"

#include <fstream>

namespace ramp::providers {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path PrometheusTargets::dir(const fs::path& home) { return home / "prometheus" / "targets"; }

json PrometheusTargets::of(const FleetRecord& r) {
  json targets = json::array();
  if (!r.retiring)
    for (const auto& inst : r.instances)
      if (inst.live() && inst.port > 0) targets.push_back("127.0.0.1:" + std::to_string(inst.port));
  const auto& s = r.spec;
  return json::array({{{"targets", targets},
                       {"labels",
                        {{"ramp_fleet", s.fleetId},
                         {"ramp_service", s.service},
                         {"ramp_env", s.env},
                         {"ramp_region", s.region},
                         {"ramp_release", s.releaseVersion}}}}});
}

Status PrometheusTargets::write(const fs::path& home, const FleetRecord& r) {
  std::error_code ec;
  const fs::path d = dir(home);
  fs::create_directories(d, ec);
  if (ec) return internal("cannot create " + d.string() + ": " + ec.message());
  const fs::path file = d / (r.spec.fleetId + ".json");
  const fs::path tmp = d / ("." + r.spec.fleetId + ".json.tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << of(r).dump() << "\n";
    if (!out) return internal("cannot write " + tmp.string());
  }
  fs::rename(tmp, file, ec);
  if (ec) return internal("cannot rename " + tmp.string() + ": " + ec.message());
  return ok();
}

void PrometheusTargets::remove(const fs::path& home, const std::string& fleetId) {
  std::error_code ec;
  fs::remove(dir(home) / (fleetId + ".json"), ec);
}

}  // namespace ramp::providers
