#include "providers/local/InstanceLaunch.h"

#include "core/Home.h"
#include "providers/local/RunSpecJson.h"

namespace ramp::providers {

nlohmann::json InstanceLaunch::toJson() const {
  return {{"home", home},
          {"fleetId", fleetId},
          {"instanceId", instanceId},
          {"service", service},
          {"env", env},
          {"region", region},
          {"releaseVersion", releaseVersion},
          {"releaseDigest", releaseDigest},
          {"releasePath", releasePath},
          {"port", port},
          {"run", run},
          {"sandboxUser", sandboxUser},
          {"logMaxBytes", logMaxBytes},
          {"logKeep", logKeep}};
}

Result<InstanceLaunch> InstanceLaunch::fromJson(const nlohmann::json& j, const std::string& where) {
  try {
    InstanceLaunch l;
    l.home = j.at("home").get<std::string>();
    l.fleetId = j.at("fleetId").get<std::string>();
    l.instanceId = j.at("instanceId").get<std::string>();
    l.service = j.at("service").get<std::string>();
    l.env = j.at("env").get<std::string>();
    l.region = j.at("region").get<std::string>();
    l.releaseVersion = j.at("releaseVersion").get<std::string>();
    l.releaseDigest = j.at("releaseDigest").get<std::string>();
    l.releasePath = j.at("releasePath").get<std::string>();
    l.port = j.at("port").get<int>();
    l.run = j.at("run").get<RunSpec>();
    l.sandboxUser = j.value("sandboxUser", l.sandboxUser);
    l.logMaxBytes = j.value("logMaxBytes", l.logMaxBytes);
    l.logKeep = j.value("logKeep", l.logKeep);
    return l;
  } catch (const nlohmann::json::exception& e) {
    return invalid(std::string("bad launch file: ") + e.what(), where);
  }
}

Result<InstanceLaunch> InstanceLaunch::load(const std::filesystem::path& file) {
  auto text = readFile(file, 1u << 20);
  if (!text) return std::unexpected(text.error());
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return invalid("launch file is not valid JSON", file.string());
  return fromJson(j, file.string());
}

}  // namespace ramp::providers
