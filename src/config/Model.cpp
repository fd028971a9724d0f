#include "config/Model.h"

namespace ramp::config {

const Environment* Config::environment(std::string_view name) const {
  for (const auto& e : environments) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

const ServiceDefinition* Config::service(std::string_view name) const {
  for (const auto& s : services) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::vector<std::string> Config::environmentNames() const {
  std::vector<std::string> out;
  for (const auto& e : environments) out.push_back(e.name);
  return out;
}

std::vector<std::string> Config::serviceNames() const {
  std::vector<std::string> out;
  for (const auto& s : services) out.push_back(s.name);
  return out;
}

}  // namespace ramp::config
