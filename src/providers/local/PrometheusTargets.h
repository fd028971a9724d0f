// PrometheusTargets.h — the local provider's instances as Prometheus scrape
// targets (file-based service discovery), so that a Prometheus server can
// scrape every instance's own /metrics and ramp can ask it for a fleet's
// series by label (analysis.metrics[].prometheus, docs/analysis.md).
//
// One file per fleet, $RAMP_HOME/prometheus/targets/<fleetId>.json, in
// Prometheus' file_sd format:
//   [{"targets": ["127.0.0.1:PORT", ...],
//     "labels": {"ramp_fleet": ID, "ramp_service": S, "ramp_env": E,
//                "ramp_region": R, "ramp_release": VERSION}}]
// holding the fleet's live instances (starting, healthy, unhealthy); a
// retiring fleet has no targets, a retired one no file. Written atomically
// (temporary file + rename: Prometheus watches the directory and never
// reads half a file) whenever the fleet's record is saved. Point Prometheus
// at it with
//   file_sd_configs: [{files: ["$RAMP_HOME/prometheus/targets/*.json"]}]
// Best effort: a failure to write is returned for the caller to log; it
// never stops a fleet.
#pragma once

#include <filesystem>
#include <string>

#include "core/Result.h"
#include "providers/local/FleetRecord.h"

namespace ramp::providers {

class PrometheusTargets {
 public:
  static std::filesystem::path dir(const std::filesystem::path& home);
  static nlohmann::json of(const FleetRecord& record);
  static Status write(const std::filesystem::path& home, const FleetRecord& record);
  static void remove(const std::filesystem::path& home, const std::string& fleetId);
};

}  // namespace ramp::providers
