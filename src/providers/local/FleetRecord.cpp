#include "providers/local/FleetRecord.h"

#include "core/Home.h"
#include "providers/local/RunSpecJson.h"
#include "providers/local/ShimStatus.h"

namespace ramp::providers {

nlohmann::json FleetRecord::specJson(const FleetSpec& s) {
  return {{"fleetId", s.fleetId},
          {"service", s.service},
          {"env", s.env},
          {"region", s.region},
          {"releaseVersion", s.releaseVersion},
          {"releaseDigest", s.releaseDigest},
          {"releasePath", s.releasePath},
          {"instanceType", s.instanceType},
          {"instances", s.instances},
          {"run", s.run},
          {"health",
           {{"path", s.health.path},
            {"intervalMs", s.health.interval.count()},
            {"timeoutMs", s.health.timeout.count()},
            {"healthyThreshold", s.health.healthyThreshold},
            {"unhealthyThreshold", s.health.unhealthyThreshold}}}};
}

Result<FleetSpec> FleetRecord::specFromJson(const nlohmann::json& j, const std::string& where) {
  try {
    FleetSpec s;
    s.fleetId = j.at("fleetId").get<std::string>();
    s.service = j.at("service").get<std::string>();
    s.env = j.at("env").get<std::string>();
    s.region = j.at("region").get<std::string>();
    s.releaseVersion = j.at("releaseVersion").get<std::string>();
    s.releaseDigest = j.at("releaseDigest").get<std::string>();
    s.releasePath = j.at("releasePath").get<std::string>();
    s.instanceType = j.value("instanceType", std::string());
    s.instances = j.at("instances").get<int>();
    s.run = j.at("run").get<RunSpec>();
    const auto& h = j.at("health");
    s.health.path = h.at("path").get<std::string>();
    s.health.interval = std::chrono::milliseconds(h.at("intervalMs").get<int64_t>());
    s.health.timeout = std::chrono::milliseconds(h.at("timeoutMs").get<int64_t>());
    s.health.healthyThreshold = h.at("healthyThreshold").get<int>();
    s.health.unhealthyThreshold = h.at("unhealthyThreshold").get<int>();
    return s;
  } catch (const nlohmann::json::exception& e) {
    return invalid(std::string("bad fleet spec: ") + e.what(), where);
  }
}

nlohmann::json FleetRecord::toJson() const {
  nlohmann::json inst = nlohmann::json::array();
  for (const auto& i : instances) {
    inst.push_back({{"id", i.id},
                    {"slot", i.slot},
                    {"port", i.port},
                    {"state", i.state},
                    {"restarts", i.restarts},
                    {"lastError", i.lastError},
                    {"startedAtMs", i.startedAtMs}});
    writeShimAndChild(inst.back(), i.shim, i.child);
  }
  return {{"format", 1},
          {"spec", specJson(spec)},
          {"epoch", epoch},
          {"retiring", retiring},
          {"error", error},
          {"nextGeneration", nextGeneration},
          {"instances", inst}};
}

Result<FleetRecord> FleetRecord::fromJson(const nlohmann::json& j, const std::string& where) {
  try {
    FleetRecord r;
    auto spec = specFromJson(j.at("spec"), where);
    if (!spec) return std::unexpected(spec.error());
    r.spec = *spec;
    r.epoch = j.value("epoch", int64_t{0});
    r.spec.epoch = r.epoch;
    r.retiring = j.value("retiring", false);
    r.error = j.value("error", std::string());
    r.nextGeneration = j.value("nextGeneration", 0);
    for (const auto& i : j.at("instances")) {
      InstanceRecord rec;
      rec.id = i.at("id").get<std::string>();
      rec.slot = i.at("slot").get<int>();
      rec.port = i.at("port").get<int>();
      rec.state = i.at("state").get<std::string>();
      rec.restarts = i.value("restarts", 0);
      rec.lastError = i.value("lastError", std::string());
      readShimAndChild(i, rec.shim, rec.child);
      rec.startedAtMs = i.value("startedAtMs", int64_t{0});
      r.instances.push_back(std::move(rec));
    }
    return r;
  } catch (const nlohmann::json::exception& e) {
    return invalid(std::string("bad fleet record: ") + e.what(), where);
  }
}

Result<FleetRecord> FleetRecord::load(const std::filesystem::path& file) {
  auto text = readFile(file, 16u << 20);
  if (!text) return std::unexpected(text.error());
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid("fleet record is not a JSON object", file.string());
  return fromJson(j, file.string());
}

Status FleetRecord::save(const std::filesystem::path& file) const {
  return writeFileAtomic(file, toJson().dump(2));
}

}  // namespace ramp::providers
