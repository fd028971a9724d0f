#include "providers/local/RunSpecJson.h"

namespace ramp::providers {

void to_json(nlohmann::json& j, const RunSpec& run) {
  j = nlohmann::json{{"command", run.command}, {"args", run.args}, {"env", run.env}};
}

void from_json(const nlohmann::json& j, RunSpec& run) {
  run.command = j.at("command").get<std::string>();
  run.args = j.at("args").get<std::vector<std::string>>();
  run.env = j.at("env").get<std::map<std::string, std::string>>();
}

}  // namespace ramp::providers
